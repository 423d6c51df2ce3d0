#pragma once
// dref's store in Redis: one Lua function (its chunks in lua/; a script on
// Redis before 7) runs every command and read atomically, with the change
// events of a command in the same step. This file turns proposals and reads into the script's
// arguments; store_replies.hpp turns its answers back into wire types.
//
// Keys, all under the configured prefix (one namespace per application):
//   index, now, eseq   version counter, Redis time seen, event counter
//   events             change events (stream, XADD MAXLEN ~ events_maxlen)
//   v:<id> vm:<id>     values and their metadata
//   s:<id> deadlines   sessions; sh:/sw:/sr:<id> what each holds/waits/runs
//   l:<id> lw:<id>     locks and their waiters
//   t:<id> tm:<id>     topics (stream with ids <seq>-0) and their bounds
//   p:<id> d:<id>      promises and delays
//   c:<client> co:<client> clients cached
//                      answers kept for retries (lua/retries.lua)

#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/named_commands.hpp"
#include "redis/script.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dref::redis {

struct store_keys {
  std::string prefix = "dref:";
  std::size_t events_maxlen = 100'000;
  store::limits limits;
};

// The store as a function library (Redis 7), and the same definitions as
// a script for older servers (slower: a script defines everything again on
// every call). store_caller uses the library and falls back by itself.
const function_library& store_library();
const script& store_script();
function_caller store_caller(client& c);

// The key the script is declared to touch (it computes the others from
// the prefix): with a prefix in {braces}, every key lives in that slot.
std::vector<std::string> script_keys(const store_keys& keys);

// The script's arguments for a proposal. cmd_patch has none: the backend
// applies the delta and sends a cas.
std::vector<std::string> proposal_args(const store_keys& keys,
                                       const protocol::store_proposal& proposal);
// The write of a named command that ran in the backend (named_runs.hpp) on
// the value at version ran_on (0: absent): proposal holds the cmd_run.
std::vector<std::string> run_at_args(const store_keys& keys,
                                     const protocol::store_proposal& proposal, std::uint64_t ran_on,
                                     const store::command_outcome& outcome);
std::vector<std::string> read_args(const store_keys& keys, const protocol::store_read& request);

} // namespace dref::redis
