#pragma once
// The answer to an actor's request that waits on a watch (a promise's
// delivery, a delay's completion): given once, however many events or
// timers race for it, and the watch ends with it.

#include "dref/protocol/result.hpp"
#include "inbox.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dref::detail {

template <class R>
struct awaiting : std::enable_shared_from_this<awaiting<R>> {
  std::function<void(result<R>)> done; // empty once answered
  inbox events;

  bool answered() const noexcept { return !done; }

  void answer(result<R> outcome) {
    if (!done)
      return;
    auto reply = std::move(done);
    done = nullptr;
    events.close();
    reply(std::move(outcome));
  }

  // Answers errc::timeout after `wait` (nullopt: never) unless answered by
  // then. Needs the watch in place.
  void time_out_after(std::optional<std::chrono::milliseconds> wait, std::string what) {
    if (wait)
      // Weakly: an answered request must not be kept (with its context)
      // until a long wait's timer fires.
      events.post_after(
          *wait, [weak = this->weak_from_this(), what = std::move(what), ms = wait->count()] {
            if (auto me = weak.lock())
              me->answer(error{errc::timeout, what + " within " + std::to_string(ms) + " ms"});
          });
  }
};

} // namespace dref::detail
