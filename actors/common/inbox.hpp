#pragma once
// An inbox runs closures in one actor's context: posted from any thread or
// after a delay, or made from the change events of a watch whose watcher is
// the inbox's relay. They run one at a time, in the order the relay got
// them, because the actor pulls them from the relay with requests (the only
// way in CAF 0.17 to run code in an actor whose behavior knows nothing of
// dref). This is what lets locks, topics, promises, delays and elections
// call back into the actor that asked, without blocking it.
//
// The relay stops when the last copy of the handle goes (queued closures
// are dropped, and the watch's events already on their way to the actor
// are skipped) or when its actor terminates.

#include "dref/protocol/store_results.hpp"
#include "dref/subscription.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace dref::detail {

struct watch_handle;

class inbox {
public:
  inbox() = default;

  // on_event (may be empty) handles the store events sent to relay(), in
  // self's context.
  static inbox open(caf::scheduled_actor* self,
                    std::function<void(const protocol::store_event&)> on_event = {});

  bool is_open() const noexcept { return handle_ != nullptr; }
  const caf::actor& relay() const;
  // Thread-safe; dropped when the inbox is closed by then.
  void post(std::function<void()> f) const;
  void post_after(std::chrono::milliseconds delay, std::function<void()> f) const;
  void close() noexcept { handle_.reset(); }
  // Hands the relay's lifetime to a subscription (for watches users hold).
  subscription to_subscription() const { return subscription{handle_}; }

private:
  std::shared_ptr<watch_handle> handle_;
};

} // namespace dref::detail
