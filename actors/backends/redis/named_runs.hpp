#pragma once
// Named commands and queries on redis (store/named_commands.hpp): the
// store's state machine is Lua there and runs only add_i64, so the backend
// runs the others itself, on the value it read, and writes a command's
// outcome with the script's run_at only while the value is still at the
// version it ran on; on a conflict it reads and runs the command again.
// The write goes under the proposal's client id and sequence, so a retry
// gets the answer kept with the write (at most once, as every proposal).
// Costs a read and a write per command, and every retry under contention:
// the command runs more than once (it is pure: only the write counts).
// Members of a raft cluster must agree on their commands; here there is
// one copy of the state, so nodes that differ write different outcomes but
// never diverge.

#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/store/named_commands.hpp"
#include "redis/store_script.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dref::redis {

// The command a proposal runs in the backend, if it does (not add_i64,
// which the script runs).
const protocol::cmd_run* run_in_backend(const protocol::store_proposal& proposal);

// The read that comes first.
protocol::store_read value_read(const std::string& id);

// After the read: the refusal to answer (nothing written), or the script's
// arguments for the write.
std::variant<protocol::store_reply, std::vector<std::string>>
command_write(const store_keys& keys, const store::command_registry& registry,
              const protocol::store_proposal& proposal, const protocol::store_read_reply& read);

// A query's answer from the value read for it.
protocol::store_read_reply query_reply(const store::command_registry& registry,
                                       const protocol::store_read& query,
                                       const protocol::store_read_reply& read);

} // namespace dref::redis
