#pragma once
// What a prefix watch (watch_key.hpp) that missed events gets instead (the
// cases catch_up.hpp lists): every value now under the prefix, whole, as
// value_caught_up events in version order, then one event addressed to the
// key itself ("ks/*", kind value_caught_up, new_version the newest version
// read) whose payload names the ids present, one per line (ids have no
// line breaks), so that the watcher learns which of the ids it knew are
// gone. The values are read from a listing and one read per id, so the
// set may mix moments; every later change still reaches the watcher, and
// a watcher keeps the newest version it saw of each id.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/store/store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::backend {

// One read sent to wherever the backend reads; `answer` runs once with the
// reply (a failure to reach the store as a reply with an error).
using read_sender = std::function<void(protocol::store_read request,
                                       std::function<void(protocol::store_read_reply)> answer)>;

// Reads the values under key's prefix through `send` and gives `done` the
// catch-up events, or the first error other than a value removed between
// the listing and its read. `done` runs once, from inside an answer (or at
// once when send answers at once).
void read_prefix_catch_up(read_sender send, std::string key,
                          std::function<void(result<std::vector<protocol::store_event>>)> done);

// The same read from a store at hand (a raft member that installed a
// snapshot), at once; empty only when its reads fail.
std::vector<protocol::store_event> prefix_catch_up_from(const store::store& store,
                                                        const std::string& key);

// The ids the closing event of a prefix catch-up names.
std::vector<std::string> present_ids(const protocol::store_event& end);

} // namespace dref::backend
