#pragma once
// Lets the end of a subscription wait for its callback, the way the
// destructor of a std::stop_callback does: once cancel() has returned, the
// callback is not running and never runs again, so it may refer to locals
// of the scope that held the subscription. A cancel from inside the
// callback itself only stops the later calls (it cannot wait for itself).

#include <atomic>
#include <mutex>
#include <thread>

namespace dref::detail {

class callback_gate {
public:
  template <class F>
  void run(F&& f) {
    std::lock_guard guard{mutex_};
    if (closed_)
      return;
    runner_ = std::this_thread::get_id();
    struct clear_runner {
      std::atomic<std::thread::id>& runner;
      ~clear_runner() { runner = std::thread::id{}; }
    } clear{runner_};
    f();
  }

  void close() {
    if (runner_.load() == std::this_thread::get_id()) {
      closed_ = true;
      return;
    }
    std::lock_guard guard{mutex_};
    closed_ = true;
  }

private:
  std::mutex mutex_; // held while the callback runs
  std::atomic<bool> closed_{false};
  std::atomic<std::thread::id> runner_{};
};

} // namespace dref::detail
