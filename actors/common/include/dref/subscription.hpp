#pragma once
// A running watch (on_change, topic subscribe, observe, ...). Cancel it,
// or let it go out of scope: once cancel() has returned, the callback is
// not running and is never called again, so it may refer to what the
// scope holding the subscription owns. Like std::stop_callback, cancel()
// waits for a call under way on another thread (do not cancel while
// holding a lock that callback takes); called from inside the callback, it
// stops the later calls only.

#include <memory>

namespace dref {

namespace detail {
struct watch_handle;
}

class subscription {
public:
  subscription() = default;
  explicit subscription(std::shared_ptr<detail::watch_handle> handle)
      : handle_(std::move(handle)) {}
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&&) noexcept = default;
  ~subscription() { cancel(); }

  void cancel() noexcept { handle_.reset(); }
  bool active() const noexcept { return handle_ != nullptr; }

private:
  std::shared_ptr<detail::watch_handle> handle_;
};

} // namespace dref
