#pragma once
// dref::pending<R>: the answer to a request an actor made through a dref
// handle (r.get(self), r.update_and_get(self, f), ...). Nothing is sent
// until then(): it issues the request, and CAF later calls on_value(R) or
// on_error(const dref::error&) in the requesting actor's context, so both
// may touch the actor's state. Like CAF's own `then`, the answer is lost if
// the actor terminates first. pending<void> calls on_value() with no
// argument.

#include "dref/protocol/result.hpp"

#include <functional>
#include <type_traits>
#include <utility>

namespace caf {
class scheduled_actor;
}

namespace dref {

template <class R>
class pending {
public:
  using starter = std::function<void(std::function<void(result<R>)>)>;

  explicit pending(starter start)
      : start_(std::move(start)) {}
  pending(pending&&) noexcept = default;
  pending& operator=(pending&&) noexcept = default;
  pending(const pending&) = delete;
  pending& operator=(const pending&) = delete;

  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error) && {
    auto start = std::move(start_);
    start([on_value = std::move(on_value), on_error = std::move(on_error)](result<R> got) mutable {
      if (!got)
        on_error(static_cast<const error&>(got.error()));
      else if constexpr (std::is_void_v<R>)
        on_value();
      else
        on_value(std::move(*got));
    });
  }

private:
  starter start_;
};

namespace detail {

// Self is a CAF actor type, complete where this is instantiated (the
// caller's code includes CAF); dref's headers only name it.
template <class Self>
caf::scheduled_actor* as_scheduled(Self* self) {
  return static_cast<caf::scheduled_actor*>(self);
}

} // namespace detail
} // namespace dref
