#pragma once
// The newest change events this member applied, kept for a while, so that a
// watcher that moved here from another member (a cluster client after a
// failover: actors/backends/cluster/watch_relay.hpp) resumes at the
// revision it had, without a gap, as long as that revision is still here.
// Bounded in events and in bytes: the oldest revisions go first, whole.
// Raft keeps no older history of values; a resume from before floor() gets
// catch-up events instead (catch_up.hpp). Pure: no CAF, no clock.

#include "dref/protocol/store_results.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

namespace dref::raft::node {

class event_history {
public:
  event_history(std::size_t max_events = 10'000, std::size_t max_bytes = 8u << 20);

  // The events of the entry applied at `revision` (revisions grow).
  void append(std::uint64_t revision, std::vector<protocol::store_event> events);
  // A snapshot was installed at `revision`: the events up to it never came
  // through here, so no resume from before it is gap-free.
  void forget_all(std::uint64_t revision);

  // The events a watch of key (watch_key.hpp) gets, applied after `after`,
  // in order; nullopt when some of them are no longer here (after < floor()).
  std::optional<std::vector<protocol::store_event>> since(std::string_view key,
                                                          std::uint64_t after) const;

  // Every event after this revision is here.
  std::uint64_t floor() const noexcept { return floor_; }
  std::size_t size() const noexcept { return events_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

private:
  struct kept {
    std::uint64_t revision;
    protocol::store_event event;
  };
  static std::size_t weight(const protocol::store_event& e);
  void trim();

  std::size_t max_events_;
  std::size_t max_bytes_;
  std::deque<kept> events_;
  std::size_t bytes_ = 0;
  std::uint64_t floor_ = 0;
};

} // namespace dref::raft::node
