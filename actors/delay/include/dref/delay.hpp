#pragma once
// dref::delay<T>: a value computed once in the whole cluster. get() on a
// handle with a body claims the delay for this context's session and runs
// the body if nobody else is running it; everyone else waits for the
// result. If the runner's session lapses before it completes, the next
// waiter with a body takes over. A handle without a body only waits.
//
// "Exactly once" holds for bodies that complete: a runner that dies midway
// may have run part of its body before another runner starts over.
//
// From an actor, pass `self` first: d.get(self) and d.get_for(self, wait)
// return a dref::pending<T> (see pending.hpp). The body, when this node
// runs it, runs in the actor's context (keep it short or hand it to a
// worker); waiting for another node's runner blocks nothing.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dref/codec.hpp"
#include "dref/pending.hpp"
#include "dref/protocol/result.hpp"

namespace dref {

namespace detail {
struct context_impl;
struct delay_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  // body: runs at most once per claim; nullptr: wait only.
  result<std::string> get(const std::function<std::string()>* body,
                          std::optional<std::chrono::milliseconds> wait) const;
  // From an actor (delay_async.cpp): body (may be empty) and done run in
  // self's context.
  void async_get(caf::scheduled_actor* self, std::function<std::string()> body,
                 std::optional<std::chrono::milliseconds> wait,
                 std::function<void(result<std::string>)> done) const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T>
class delay {
public:
  delay(detail::delay_core core, std::function<T()> body)
    : core_(std::move(core)), body_(std::move(body)) {}

  const std::string& id() const noexcept { return core_.id; }
  T get() const { return decode(run(std::nullopt).value()); }
  result<T> get_for(std::chrono::milliseconds wait) const {
    auto bytes = run(wait);
    if (!bytes)
      return std::move(bytes).error();
    return Codec::decode(*bytes);
  }

  // --- from actors (Self: any CAF scheduled actor).
  template <class Self>
  pending<T> get(Self* self) const {
    return run_from(self, std::nullopt);
  }
  // errc::timeout when the value is not there within `wait`.
  template <class Self>
  pending<T> get_for(Self* self, std::chrono::milliseconds wait) const {
    return run_from(self, wait);
  }

private:
  template <class Self>
  pending<T> run_from(Self* self, std::optional<std::chrono::milliseconds> wait) const {
    auto core = core_;
    auto* scheduled = detail::as_scheduled(self);
    std::function<std::string()> encoded;
    if (body_)
      encoded = [body = body_] { return Codec::encode(body()); };
    return pending<T>{[core, scheduled, wait, encoded](std::function<void(result<T>)> done) {
      core.async_get(scheduled, encoded, wait, [done](result<std::string> bytes) {
        if (!bytes)
          return done(std::move(bytes).error());
        done(Codec::decode(*bytes));
      });
    }};
  }

  result<std::string> run(std::optional<std::chrono::milliseconds> wait) const {
    if (!body_)
      return core_.get(nullptr, wait);
    std::function<std::string()> encoded = [this] { return Codec::encode(body_()); };
    return core_.get(&encoded, wait);
  }
  T decode(const std::string& bytes) const { return Codec::decode(bytes).value(); }

  detail::delay_core core_;
  std::function<T()> body_;
};

} // namespace dref
