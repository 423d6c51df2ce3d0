#pragma once
// A running watch (on_change, topic subscribe, ...). Cancel it, or let it
// go out of scope: changes committed after cancel() returns are not
// delivered (a callback already under way, or already queued, may still run).

#include <memory>

namespace dref {

namespace detail {
struct watch_handle;
}

class subscription {
public:
  subscription() = default;
  explicit subscription(std::shared_ptr<detail::watch_handle> handle) : handle_(std::move(handle)) {}
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&&) noexcept = default;
  ~subscription() { cancel(); }

  void cancel() noexcept { handle_.reset(); }
  bool active() const noexcept { return handle_ != nullptr; }

private:
  std::shared_ptr<detail::watch_handle> handle_;
};

} // namespace dref
