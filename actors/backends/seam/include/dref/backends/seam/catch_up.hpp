#pragma once
// What a watcher that missed events gets instead (the redis backend's
// reader away for longer than Redis keeps them, a cluster client that
// failed over to another member, a raft member that installed a snapshot):
// the state of each watched id, read as every kind it could name, turned
// into catch-up events (backend_actor.hpp: a backend that loses events
// sends what a watcher needs to be current again, marked as such).

#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dref::backend {

// What catch-up learns of one watched id: its state as each kind.
struct id_state {
  std::string id;
  std::optional<std::uint64_t> topic_seen;         // newest message its watchers had
  std::vector<protocol::store_read_reply> replies; // one per kind, in catch_up_kinds order
  std::size_t left = 0;
};

inline constexpr protocol::read_kind catch_up_kinds[] = {
    protocol::read_kind::value, protocol::read_kind::lock, protocol::read_kind::topic,
    protocol::read_kind::promise, protocol::read_kind::delay};

// The events a watcher of the id needs to be current again.
std::vector<protocol::store_event> catch_up_events(const id_state& s);

} // namespace dref::backend
