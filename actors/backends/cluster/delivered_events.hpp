#pragma once
// What a watch relay (watch_relay.hpp) already handed its watcher of one
// id, so that after a failover the watcher gets nothing twice: events carry
// the revision they happened at (new_version; a topic message its seq in
// `number`), and events a watcher has are never delivered again: older
// revisions, and at the newest one, the same event again. A catch-up of a
// value at the newest revision is nothing new either. Pure.

#include "dref/protocol/store_results.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dref::backend {

class delivered_events {
public:
  // start: the revision the watch started after (backend_actor.hpp).
  explicit delivered_events(std::uint64_t start)
      : revision_(start) {}

  // True when e is new to the watcher (and is now counted as delivered).
  // Catch-up events made from a read (catch_up.hpp) that carry no revision
  // (a lock's holder, a delay's outcome) always pass: their consumers take
  // them again without harm.
  bool admit(const protocol::store_event& e);

  // The newest topic message delivered, when one was, or what the watch's
  // start said of the topic (learn_topic_start).
  std::optional<std::uint64_t> topic_seen() const noexcept { return topic_seq_; }
  // The topic's next seq as read before the watch started: each message
  // from there on either reaches the watcher or was published while the
  // watch was being set up (so it may count as before it, and a catch-up
  // that resumes from there delivers no message the watcher should not see).
  // Only before the first delivered message: it counts as delivered.
  void learn_topic_start(std::uint64_t next_seq);

  std::uint64_t revision() const noexcept { return revision_; }

private:
  std::uint64_t revision_;
  // One entry can change an id more than once (a lock released and granted
  // to the next waiter): the events delivered at revision_, told apart.
  std::vector<std::string> at_revision_;
  // Everything at revision_ was had (the watch's start, a catch-up).
  bool revision_whole_ = true;
  std::optional<std::uint64_t> topic_seq_;
};

} // namespace dref::backend
