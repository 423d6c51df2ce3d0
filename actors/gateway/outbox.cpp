// outbox.hpp has the contract.
#include "outbox.hpp"

namespace dref::gateway {

void outbox::push(std::string frame) {
  std::unique_lock lock{mutex_};
  if (detached_ || close_)
    return;
  // One frame always fits an empty queue, however large: the bound is on
  // what waits behind the frame being written.
  if (queued_bytes_ > 0 && queued_bytes_ + frame.size() > max_backlog_) {
    frames_.clear();
    queued_bytes_ = 0;
    close_ = close_request{1008, "slow consumer: over " + std::to_string(max_backlog_) +
                                     " bytes unread; reconnect from the last version seen"};
  } else {
    queued_bytes_ += frame.size();
    frames_.push_back(std::move(frame));
  }
  wake_if_needed(lock);
}

void outbox::finish(close_request why) {
  std::unique_lock lock{mutex_};
  if (detached_ || close_)
    return;
  close_ = std::move(why);
  wake_if_needed(lock);
}

bool outbox::open() const {
  std::lock_guard lock{mutex_};
  return !detached_ && !close_;
}

void outbox::hold(std::shared_ptr<void> source) {
  std::unique_lock lock{mutex_};
  if (detached_) {
    lock.unlock();
    return; // source goes here, outside the lock
  }
  std::swap(source_, source);
}

void outbox::attach(std::function<void()> wake) {
  std::unique_lock lock{mutex_};
  wake_ = std::move(wake);
  wake_if_needed(lock);
}

outbox::batch outbox::take() {
  std::lock_guard lock{mutex_};
  wake_pending_ = false;
  batch out;
  out.frames.swap(frames_);
  queued_bytes_ = 0;
  out.close = close_;
  return out;
}

void outbox::detach() {
  std::shared_ptr<void> source;
  {
    std::lock_guard lock{mutex_};
    detached_ = true;
    frames_.clear();
    wake_ = nullptr;
    std::swap(source, source_);
  }
}

void outbox::wake_if_needed(std::unique_lock<std::mutex>& lock) {
  if (!wake_ || wake_pending_ || (frames_.empty() && !close_))
    return;
  wake_pending_ = true;
  auto wake = wake_;
  lock.unlock();
  wake();
}

} // namespace dref::gateway
