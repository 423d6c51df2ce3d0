#pragma once
// The frames one WebSocket stream owes its client (a watch, a topic
// subscription, the dashboard), queued from any thread (CAF workers, the
// routes, the dashboard's feed) and written by the server's socket thread.
//
// Bounded: a client that does not read while frames keep coming gets no
// more than max_backlog_bytes queued for it (or one frame, when larger); past that the queue is
// dropped and the stream closed with 1008 and a reason ("slow consumer"),
// so one slow reader costs the member a bounded amount of memory and never
// a silent gap (it must reconnect from the last version or seq it saw).
// No Beast here: the routes fill it, server.cpp drains it.

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace dref::gateway {

struct close_request {
  unsigned short code = 1000; // RFC 6455 close codes
  std::string reason;         // at most 123 bytes go on the wire
};

class outbox {
public:
  explicit outbox(std::size_t max_backlog_bytes)
      : max_backlog_(max_backlog_bytes) {}

  // --- the feed's side (any thread)
  // Queues one text frame; dropped once the stream is closing or gone.
  void push(std::string frame);
  // Closes the stream after the frames queued so far (e.g. a feed that
  // cannot go on: 1011 with the error).
  void finish(close_request why);
  // False once the stream is closing or gone: a feed may stop.
  bool open() const;
  // Keeps the stream's source (a subscription, a watcher) for as long as
  // the stream lives; dropped on detach, which ends it.
  void hold(std::shared_ptr<void> source);

  // --- the server's side
  // wake() is called (from any thread, not under a lock) when frames or a
  // close are waiting; it must hand over to the socket thread and then
  // take(). Frames queued before attach wake at once.
  void attach(std::function<void()> wake);
  struct batch {
    std::deque<std::string> frames;
    std::optional<close_request> close; // after the frames
  };
  batch take();
  // The socket is gone: the source goes (outside any lock), later pushes
  // are dropped.
  void detach();

private:
  void wake_if_needed(std::unique_lock<std::mutex>& lock);

  const std::size_t max_backlog_;
  mutable std::mutex mutex_;
  std::deque<std::string> frames_;
  std::size_t queued_bytes_ = 0;
  std::optional<close_request> close_;
  std::function<void()> wake_;
  bool wake_pending_ = false;
  bool detached_ = false;
  std::shared_ptr<void> source_;
};

} // namespace dref::gateway
