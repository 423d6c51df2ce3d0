// dashboard_feed.hpp has the contract.
#include "dashboard_feed.hpp"

#include "dref/log.hpp"

#include <pthread.h>

namespace dref::gateway {

dashboard_feed::dashboard_feed(std::function<std::string()> build, std::chrono::milliseconds period)
    : build_(std::move(build))
    , period_(period)
    , thread_([this] { run(); }) {}

dashboard_feed::~dashboard_feed() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void dashboard_feed::add(const std::shared_ptr<outbox>& box) {
  {
    std::lock_guard lock{mutex_};
    boxes_.push_back(box);
  }
  changed_.notify_all();
}

void dashboard_feed::run() {
  // Named for `top -H` and perf (else it has the name of the thread that
  // started it, often caf.multiplexer).
  pthread_setname_np(pthread_self(), "dref.dashboard");
  std::unique_lock lock{mutex_};
  std::size_t served = 0; // boxes that already had a frame
  for (;;) {
    changed_.wait_for(lock, period_,
                      [this, &served] { return stopping_ || boxes_.size() > served; });
    if (stopping_)
      return;
    std::erase_if(boxes_, [](const std::weak_ptr<outbox>& weak) {
      auto box = weak.lock();
      return !box || !box->open();
    });
    if (boxes_.empty()) {
      served = 0;
      continue;
    }
    lock.unlock();
    std::string frame;
    try {
      frame = build_();
    } catch (const std::exception& ex) {
      log(log_level::warn, std::string{"HTTP gateway: dashboard overview failed: "} + ex.what());
    }
    lock.lock();
    for (const auto& weak : boxes_)
      if (auto box = weak.lock(); box && !frame.empty())
        box->push(frame);
    served = boxes_.size();
  }
}

} // namespace dref::gateway
