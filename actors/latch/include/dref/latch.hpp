#pragma once
// dref::countdown_latch: a count that every node shares; waiters block
// until it reaches zero (Java's CountDownLatch, Hazelcast CP's
// ICountDownLatch, Redisson's RCountDownLatch), on every backend.
//
// The count is an ordinary value at the latch's id, an 8-byte integer in
// the add_i64 command's format (dref/store/i64_codec.hpp): it replicates,
// survives restarts and failovers like any value, and `drefctl get` and
// `drefctl add ID -1` show and move it. Counting down is one add_i64 of -1
// in the state machine: no read and no retry, so concurrent count-downs
// never conflict, and a retried proposal counts once (the store answers it
// from its reply cache). A latch counted down past zero stays open; count()
// reads 0 (the stored integer goes below zero).
//
// A count-down is not tied to a session: a participant that crashes before
// it counts down never counts, and the waiters wait until their own
// timeout, as with Java's and Hazelcast's latches. Count-downs that
// committed before a crash stay counted.

#include "dref/context.hpp"
#include "dref/pending.hpp"
#include "dref/store/i64_codec.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace caf {
class scheduled_actor;
}

namespace dref {

namespace detail {
struct context_impl;
}

class countdown_latch {
public:
  using counter = ref<std::int64_t, store::i64_codec>;

  // The latch `id` with `count` to go (1 or more, else invalid_argument),
  // created when absent; an existing latch is joined as it is (joining
  // never resets it). Blocking: throws error_exception.
  static countdown_latch make(context& ctx, const dref::id& id, std::int64_t count);

  const std::string& id() const noexcept { return counter_.id(); }

  // Lowers the count by one; answers the count after it (0 once open).
  std::int64_t count_down() const { return try_count_down().value(); }
  result<std::int64_t> try_count_down(detail::timeout_ms timeout = {}) const;
  // The count to go, 0 once open (a linearizable read).
  std::int64_t count() const { return try_count().value(); }
  result<std::int64_t> try_count(detail::timeout_ms timeout = {}) const;
  // True once the count is 0 (at once when it is), false when `timeout`
  // passed first; errc::not_found when the latch is gone (removed).
  bool wait_for(std::chrono::milliseconds timeout) const { return try_wait_for(timeout).value(); }
  result<bool> try_wait_for(std::optional<std::chrono::milliseconds> timeout) const;
  void wait() const { (void)try_wait_for(std::nullopt).value(); }
  // Arms an open latch again with `count` (Hazelcast's trySetCount): true
  // when it did; false, and nothing changes, while the latch still counts
  // down. invalid_argument for a count below 1.
  bool try_set_count(std::int64_t count) const;

  // --- from actors: answers in self's context.
  template <class Self>
  pending<std::int64_t> count_down(Self* self, detail::timeout_ms timeout = {}) const {
    auto me = *this;
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::int64_t>{
        [me, scheduled, timeout](std::function<void(result<std::int64_t>)> done) {
          me.async_count_down(scheduled, timeout, std::move(done));
        }};
  }
  // Answers once the count is 0; errc::timeout when `wait` passed first.
  template <class Self>
  pending<void> wait(Self* self, std::optional<std::chrono::milliseconds> wait = {}) const {
    auto me = *this;
    auto* scheduled = detail::as_scheduled(self);
    return pending<void>{[me, scheduled, wait](std::function<void(result<void>)> done) {
      me.async_wait(scheduled, wait, std::move(done));
    }};
  }

private:
  countdown_latch(std::shared_ptr<detail::context_impl> impl, counter count)
      : impl_(std::move(impl))
      , counter_(std::move(count)) {}

  void async_count_down(caf::scheduled_actor* self, detail::timeout_ms timeout,
                        std::function<void(result<std::int64_t>)> done) const;
  void async_wait(caf::scheduled_actor* self, std::optional<std::chrono::milliseconds> wait,
                  std::function<void(result<void>)> done) const;

  std::shared_ptr<detail::context_impl> impl_;
  counter counter_;
};

} // namespace dref
