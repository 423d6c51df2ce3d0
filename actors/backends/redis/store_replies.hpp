#pragma once
// The store script's answers and change events, back as wire types.
// Refusals arrive as error replies "DREF <errc name> <message>"; Redis's
// own errors are mapped to the nearest errc: WRONGTYPE (a key under the
// prefix that someone else wrote) to wrong_type, OOM to limit_exceeded,
// LOADING/BUSY/READONLY and the like to unavailable.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "redis/reply.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::redis {

protocol::store_reply command_reply(const result<reply>& answer,
                                    const protocol::store_command& command);
protocol::store_read_reply read_reply(const result<reply>& answer,
                                      const protocol::store_read& request);

// A stream entry id, "<ms>-<seq>"; Redis orders entries by the pair.
struct stream_id {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;
  friend auto operator<=>(const stream_id&, const stream_id&) = default;
};

// A number as Redis writes one: decimal digits and nothing else (no sign,
// no space, nothing after); nullopt for anything else.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// Both parts in decimal and nothing else (no sign, no space, no missing
// part), as Redis writes them; errc::internal for anything else, which only
// a bug or another writer of the stream produces.
result<stream_id> parse_stream_id(std::string_view text);

// One entry of the events stream.
struct stream_event {
  std::string entry_id;     // the stream's id, where a reader resumes
  stream_id position;       // entry_id parsed
  std::uint64_t number = 0; // q: events are numbered without gaps
  protocol::store_event event;
  // false: an entry this dref cannot read (a newer dref's event kind, or
  // written by something else); readers step over it.
  bool usable = true;
};

// An XRANGE/XREVRANGE answer, and an XREAD answer for one stream (nil:
// nothing new).
result<std::vector<stream_event>> range_events(const reply& answer);
result<std::vector<stream_event>> read_events(const reply& answer);

// The error an error reply stands for; subject names the thing involved
// ("ref 'x'") for errors Redis words without it.
error error_from_reply(const reply& answer, const std::string& subject);

} // namespace dref::redis
