#pragma once
// dref::delay<T>: a value computed once in the whole cluster. get() on a
// handle with a body claims the delay for this context's session and runs
// the body if nobody else is running it; everyone else waits for the
// result. If the runner's session lapses before it completes, the next
// waiter with a body takes over.
//
// A get() without a body asks for a run: every context that holds a handle
// with a body for the id (a body-holder) answers by claiming it, even when
// none of its own callers is waiting, and runs the body on a thread of its
// own; the waiter asks again every session TTL until the value is there
// (a body-holder that appeared later, or one that died before it claimed).
// A body-holder stops offering once its last handle with the body is gone;
// the context joins the runs it started when it shuts down.
//
// A body that throws fails: the exception goes to the get() that ran it
// (from an actor: errc::body_failed with its message), every other get()
// waiting at that moment, on any node, fails with errc::body_failed and
// the message, and the delay is unclaimed again: the next get() with a
// body (or a body-holder asked by a get() without one) tries afresh.
//
// "Exactly once" holds for bodies that complete: a runner that dies midway
// may have run part of its body before another runner starts over.
//
// From an actor, pass `self` first: d.get(self) and d.get_for(self, wait)
// return a dref::pending<T> (see pending.hpp). The body, when this node
// runs it, runs in the actor's context (keep it short or hand it to a
// worker); waiting for another node's runner blocks nothing.

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
struct delay_offer; // delay_offers.cpp
// Registers body as this context's offer to run delay id when asked
// (errc from the watch it needs, thrown); the offer lasts while the
// returned pointer (held by the handles with the body) does.
std::shared_ptr<delay_offer> offer_delay_body(const std::shared_ptr<context_impl>& ctx,
                                              const std::string& id,
                                              std::function<std::string()> body);
struct delay_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  std::shared_ptr<delay_offer> offer; // handles with a body: this context answers requests
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
      : core_(std::move(core))
      , body_(std::move(body)) {}

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
