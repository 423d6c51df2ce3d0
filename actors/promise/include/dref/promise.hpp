#pragma once
// dref::promise<T>: delivered once, awaited anywhere in the cluster. The
// first deliver wins; later ones change nothing and return false.
//
// From an actor, pass `self` first: p.deliver(self, v) and p.get(self)
// return a dref::pending (see pending.hpp); get(self) answers, in the
// actor's context, once the promise is delivered on any node, without
// blocking the actor or a thread meanwhile.

#include "dref/codec.hpp"
#include "dref/pending.hpp"
#include "dref/protocol/result.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dref {

namespace detail {
struct context_impl;
struct promise_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  // true: this call delivered; false: it was delivered before.
  result<bool> deliver(std::string bytes) const;
  // The delivered bytes, waiting up to `wait` (nullopt: forever);
  // errc::timeout when the wait ends first.
  result<std::string> await(std::optional<std::chrono::milliseconds> wait) const;
  result<std::optional<std::string>> peek() const;
  // From an actor (promise_async.cpp): done runs in self's context.
  void async_deliver(caf::scheduled_actor* self, std::string bytes,
                     std::function<void(result<bool>)> done) const;
  void async_await(caf::scheduled_actor* self, std::optional<std::chrono::milliseconds> wait,
                   std::function<void(result<std::string>)> done) const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
requires codec_for<Codec, T>
class promise {
public:
  explicit promise(detail::promise_core core)
      : core_(std::move(core)) {}

  const std::string& id() const noexcept { return core_.id; }
  bool deliver(const T& value) const { return core_.deliver(Codec::encode(value)).value(); }
  T get() const { return decode(core_.await(std::nullopt).value()); }
  // errc::timeout (as a result error) when nothing was delivered in time.
  result<T> get_for(std::chrono::milliseconds wait) const {
    auto bytes = core_.await(wait);
    if (!bytes)
      return std::move(bytes).error();
    return Codec::decode(*bytes);
  }
  bool realized() const { return core_.peek().value().has_value(); }

  // --- from actors (Self: any CAF scheduled actor).
  template <class Self>
  pending<bool> deliver(Self* self, const T& value) const {
    auto core = core_;
    auto* scheduled = detail::as_scheduled(self);
    return pending<bool>{
        [core, scheduled, bytes = Codec::encode(value)](std::function<void(result<bool>)> done) {
          core.async_deliver(scheduled, bytes, std::move(done));
        }};
  }
  // Answers once delivered, however long that takes.
  template <class Self>
  pending<T> get(Self* self) const {
    return awaited(self, std::nullopt);
  }
  // errc::timeout when nothing was delivered within `wait`.
  template <class Self>
  pending<T> get_for(Self* self, std::chrono::milliseconds wait) const {
    return awaited(self, wait);
  }

private:
  template <class Self>
  pending<T> awaited(Self* self, std::optional<std::chrono::milliseconds> wait) const {
    auto core = core_;
    auto* scheduled = detail::as_scheduled(self);
    return pending<T>{[core, scheduled, wait](std::function<void(result<T>)> done) {
      core.async_await(scheduled, wait, [done](result<std::string> bytes) {
        if (!bytes)
          return done(std::move(bytes).error());
        done(Codec::decode(*bytes));
      });
    }};
  }

  T decode(const std::string& bytes) const { return Codec::decode(bytes).value(); }
  detail::promise_core core_;
};

} // namespace dref
