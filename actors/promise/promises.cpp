// Promises: deliver through the store; wait by watching the id first, then
// reading, so a delivery between the two is never missed.
#include "context_impl.hpp"
#include "dref/promise.hpp"

#include <condition_variable>

namespace dref::detail {

result<bool> promise_core::deliver(std::string bytes) const {
  auto got = ctx->propose(protocol::cmd_promise_deliver{id, std::move(bytes)}, std::nullopt);
  if (!got)
    return std::move(got).error();
  return std::get<protocol::res_delivered>(*got).first;
}

result<std::optional<std::string>> promise_core::peek() const {
  auto got = ctx->read(protocol::store_read{protocol::read_kind::promise, id, 0, 0}, std::nullopt);
  if (!got)
    return std::move(got).error();
  auto& state = std::get<protocol::promise_state>(*got);
  if (!state.delivered)
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(state.value)};
}

result<std::string> promise_core::await(std::optional<std::chrono::milliseconds> wait) const {
  struct waiter {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<std::string> value;
  };
  auto w = std::make_shared<waiter>();
  auto sub = ctx->watch(
      id,
      [w](const protocol::store_event& e) {
        if (e.kind != protocol::event_kind::promise_delivered)
          return;
        {
          std::lock_guard guard{w->mutex};
          w->value = e.payload;
        }
        w->changed.notify_all();
      },
      std::nullopt);
  if (!sub)
    return std::move(sub).error();
  auto now = peek();
  if (!now)
    return std::move(now).error();
  if (*now)
    return std::move(**now);
  std::unique_lock guard{w->mutex};
  auto ready = [&] { return w->value.has_value(); };
  if (wait) {
    if (!w->changed.wait_for(guard, *wait, ready))
      return error{errc::timeout, "promise '" + id + "' was not delivered within " +
                                      std::to_string(wait->count()) + " ms"};
  } else {
    w->changed.wait(guard, ready);
  }
  return std::move(*w->value);
}

} // namespace dref::detail
