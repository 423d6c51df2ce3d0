// The client's own deadline for a session (session_deadline.hpp).
#include "session_deadline.hpp"

#include <algorithm>

namespace dref::detail {

std::chrono::milliseconds session_deadline::margin_for(std::chrono::milliseconds ttl) {
  return std::min(ttl / 10, std::chrono::milliseconds{100});
}

session_deadline::session_deadline(std::string session, std::chrono::milliseconds ttl,
                                   clock::time_point opened)
    : session_(std::move(session))
    , ttl_(ttl)
    , margin_(margin_for(ttl))
    , deadline_(opened + ttl - margin_) {}

session_deadline::clock::time_point session_deadline::deadline() const {
  std::lock_guard guard{mutex_};
  return deadline_;
}

bool session_deadline::lapsed(clock::time_point now) const {
  std::lock_guard guard{mutex_};
  return lapsed_ || (!retired_ && now >= deadline_);
}

bool session_deadline::acknowledged(clock::time_point sent, clock::time_point now) {
  std::unique_lock guard{mutex_};
  if (lapsed_ || retired_)
    return false;
  // Checked before moving on: an answer read after the deadline (the
  // process was paused with it in its mailbox) must not hide the lapse.
  if (now >= deadline_) {
    fire(guard);
    return false;
  }
  deadline_ = std::max(deadline_, sent + ttl_ - margin_);
  return true;
}

bool session_deadline::check(clock::time_point now) {
  std::unique_lock guard{mutex_};
  if (!lapsed_ && !retired_ && now >= deadline_)
    fire(guard);
  return lapsed_;
}

void session_deadline::lapse() {
  std::unique_lock guard{mutex_};
  if (!lapsed_ && !retired_)
    fire(guard);
}

void session_deadline::retire() {
  std::lock_guard guard{mutex_};
  if (lapsed_)
    return;
  retired_ = true;
  listeners_.clear();
}

std::uint64_t session_deadline::listen(std::function<void()> f) {
  std::unique_lock guard{mutex_};
  if (!lapsed_ && !retired_) {
    auto handle = next_handle_++;
    listeners_.emplace(handle, std::move(f));
    return handle;
  }
  bool call = lapsed_; // a retired session's holders were released, not lost
  guard.unlock();
  if (call)
    f();
  return 0;
}

void session_deadline::forget(std::uint64_t handle) {
  if (handle == 0) // listen's answer when it called at once: nothing to drop
    return;
  std::unique_lock guard{mutex_};
  if (listeners_.erase(handle) != 0)
    return;
  if (calling_thread_ != std::this_thread::get_id())
    fired_.wait(guard, [&] { return calling_ != handle; });
}

void session_deadline::fire(std::unique_lock<std::mutex>& guard) {
  lapsed_ = true;
  // One at a time, outside the mutex: a listener may call back in (forget
  // its own handle, read lapsed()).
  while (!listeners_.empty()) {
    auto next = listeners_.begin();
    auto f = std::move(next->second);
    calling_ = next->first;
    calling_thread_ = std::this_thread::get_id();
    listeners_.erase(next);
    guard.unlock();
    f();
    guard.lock();
    calling_ = 0;
    calling_thread_ = {};
    fired_.notify_all();
  }
}

} // namespace dref::detail
