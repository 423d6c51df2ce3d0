#pragma once
// A cancellation signal handed to long-running callbacks (when_elected):
// poll cancelled(), sleep with wait_for(), or register on_cancel(). Copies
// share one signal; the side that started the work fires it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace dref {

namespace detail {
struct cancellation_state {
  std::mutex mutex;
  std::condition_variable fired_cv;
  bool fired = false;
  std::vector<std::function<void()>> callbacks;
};
} // namespace detail

class cancellation {
public:
  cancellation()
      : state_(std::make_shared<detail::cancellation_state>()) {}

  bool cancelled() const {
    std::lock_guard guard{state_->mutex};
    return state_->fired;
  }
  // Sleeps up to `d`; true when cancelled (at once if it already was).
  bool wait_for(std::chrono::milliseconds d) const {
    std::unique_lock guard{state_->mutex};
    return state_->fired_cv.wait_for(guard, d, [this] { return state_->fired; });
  }
  void wait() const {
    std::unique_lock guard{state_->mutex};
    state_->fired_cv.wait(guard, [this] { return state_->fired; });
  }
  // Runs f once on cancellation, on the cancelling thread (at once, here,
  // if it already happened).
  void on_cancel(std::function<void()> f) const {
    {
      std::lock_guard guard{state_->mutex};
      if (!state_->fired) {
        state_->callbacks.push_back(std::move(f));
        return;
      }
    }
    f();
  }

  // For the owner of the work; idempotent.
  void cancel() const {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard guard{state_->mutex};
      if (state_->fired)
        return;
      state_->fired = true;
      callbacks.swap(state_->callbacks);
    }
    state_->fired_cv.notify_all();
    for (auto& f : callbacks)
      f();
  }

private:
  std::shared_ptr<detail::cancellation_state> state_;
};

} // namespace dref
