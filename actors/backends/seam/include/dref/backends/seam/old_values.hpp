#pragma once
// Old values across a member's client port: a value event carries the
// value it replaced (old_value) for watchers that want (old, new), and the
// new value as a delta against it when that is smaller. A remote watcher
// that saw the previous event already holds that old value, so sending it
// again would ship the whole value with every one-field change. The rule,
// kept by both ends of one watch (the member's relay for one client
// watcher, and that watcher's relay in the client):
//
// - The sender (unsent_old_values) leaves old_value out of a value event
//   when the last value event of that id it sent to this watcher was at
//   the event's old_version, and the old value is at least `min_size`
//   bytes. A value smaller than that travels with its events, as before.
// - The receiver (held_old_values) sees every event the sender sent, in
//   order, and keeps the bytes of each id's newest value of at least
//   `min_size` bytes; it puts old_value back before the event goes on, so
//   what watchers downstream get is what the store emitted.
// - A new watch of a key (also at another member after a failover) starts
//   the sender over for the ids it covers: the first event of each id
//   carries its old value again.
//
// Value events are value_created, value_written, value_removed,
// metadata_changed and value_caught_up; other events pass untouched. Pure.

#include "dref/protocol/store_results.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace dref::backend {

// Old values of at least this size travel once per watch and id.
inline constexpr std::size_t old_value_min_size = 1024;

class unsent_old_values {
public:
  explicit unsent_old_values(std::size_t min_size = old_value_min_size)
      : min_size_(min_size) {}

  // Called for each event just before it is sent to the watcher.
  void thin(protocol::store_event& e);
  // A new watch of key (an id or "P*") starts at this watcher.
  void restart(const std::string& key);

  std::size_t ids() const noexcept { return sent_.size(); }

private:
  std::size_t min_size_;
  // The newest version of each id whose value the watcher can rebuild.
  std::map<std::string, std::uint64_t> sent_;
};

class held_old_values {
public:
  explicit held_old_values(std::size_t min_size = old_value_min_size)
      : min_size_(min_size) {}

  // Called for each event as it arrives from the sender, in its order.
  void restore(protocol::store_event& e);

  std::size_t bytes_held() const noexcept;

private:
  struct held {
    std::uint64_t version = 0;
    std::string bytes;
  };
  std::size_t min_size_;
  std::map<std::string, held> held_;
};

} // namespace dref::backend
