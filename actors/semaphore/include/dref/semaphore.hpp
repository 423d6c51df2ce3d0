#pragma once
// dref::semaphore: permits every node shares (Java's Semaphore, Redisson's
// RSemaphore, Hazelcast CP's ISemaphore), fair, with a fencing token per
// grant and released when the holder's session ends; and
// dref::read_write_lock on top of it. On every backend.
//
// How it is kept (permit_queue.hpp has the queue rule): the limit is an
// 8-byte integer at the semaphore's id (dref/store/i64_codec.hpp), set by
// the first make and joined as it is by later ones. Each acquire writes
// one value owned by the context's session at "<id>/<holder>@<permits>",
// and waits (a prefix watch of "<id>/", then a listing at one revision)
// until the rule grants it; a release removes that value. The ids under
// "<id>/" belong to the semaphore: `drefctl ls <id>/` shows the line, a
// value written there by hand joins it.
//
// Fair: strictly first in, first out. Requests are granted in the order
// they were made while their permits fit; the first that does not fit
// waits, and every later request waits behind it, so many small requests
// never starve a large one.
//
// Session: permits are held by the context's session (the one behind its
// locks). A holder that crashes, or is paused past the session's TTL,
// loses its permits when the store expires the session; the next requests
// in line are granted then. The holder hears of it (lost(), on_lost) as a
// lock holder does (docs/locks.md): from its own session deadline or from
// the removal of its request, whichever comes first.
//
// Fencing: a grant's token is the log position of its request, so tokens
// grow in the order requests were made. A grant's token is larger than
// that of every grant it had to wait for. With the read/write lock: a
// writer's token is larger than every reader's before it and smaller than
// every grant after it, so a resource that refuses writes with a token
// below the newest writer token it has seen refuses a writer that lost its
// lock.
//
// Blocking calls throw error_exception; actor forms answer in self's
// context. Not reentrant: each acquire is a request of its own.

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
struct held_permit;
} // namespace detail

// What an actor's acquire answers: the request to release, and its token.
struct semaphore_grant {
  std::string request; // the request's id, "<id>/<holder>@<permits>"
  std::int64_t permits = 0;
  std::uint64_t fencing_token = 0;
};

// Permits held by blocking code: released by release() or the destructor.
class semaphore_permit {
public:
  semaphore_permit() = default;
  explicit semaphore_permit(std::shared_ptr<detail::held_permit> held)
      : held_(std::move(held)) {}
  semaphore_permit(semaphore_permit&&) noexcept = default;
  semaphore_permit& operator=(semaphore_permit&& other) noexcept;
  ~semaphore_permit() { release(); }

  const std::string& semaphore_id() const;
  std::int64_t permits() const;
  std::uint64_t fencing_token() const;
  // True once the permits were taken away with the session (see above).
  bool lost() const;
  // Runs f (once, on a CAF worker thread) when the permits are lost; at
  // once if they were lost already.
  void on_lost(std::function<void()> f);
  // Gives the permits back; a lost grant is not an error here (check lost()
  // where it matters). Waits for an on_lost call under way.
  void release() noexcept;
  bool holds() const noexcept { return held_ != nullptr; }

private:
  std::shared_ptr<detail::held_permit> held_;
};

class semaphore {
public:
  using limit_value = ref<std::int64_t, store::i64_codec>;

  // The semaphore `id` with `permits` in all (1 or more, else
  // invalid_argument), created when absent; an existing one is joined with
  // the limit it has.
  static semaphore make(context& ctx, const dref::id& id, std::int64_t permits);

  const std::string& id() const noexcept { return limit_.id(); }
  std::int64_t limit() const noexcept { return permits_; }

  // Waits as long as it takes for `permits` (1..limit(), else
  // invalid_argument).
  semaphore_permit acquire(std::int64_t permits = 1) const;
  // nullopt when they were not granted within `wait` (zero: only if they
  // are free now and nobody is in line).
  std::optional<semaphore_permit> try_acquire(std::int64_t permits,
                                              std::chrono::milliseconds wait) const;
  // The permits nobody holds now (a linearizable listing).
  std::int64_t available() const;

  // --- from actors: answers in self's context. nullopt: not granted within
  // `wait` (nullopt wait: as long as it takes). on_lost (may be empty) runs
  // in self's context if the grant is lost with the session.
  template <class Self>
  pending<std::optional<semaphore_grant>>
  acquire(Self* self, std::int64_t permits = 1, std::optional<std::chrono::milliseconds> wait = {},
          std::function<void()> on_lost = {}) const {
    auto me = *this;
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::optional<semaphore_grant>>{
        [me, scheduled, permits, wait,
         on_lost](std::function<void(result<std::optional<semaphore_grant>>)> done) {
          me.async_acquire(scheduled, permits, wait, on_lost, std::move(done));
        }};
  }
  // Gives a grant back; answers once the store removed the request (a grant
  // lost with its session answers session_expired).
  template <class Self>
  pending<void> release(Self* self, const semaphore_grant& grant) const {
    auto me = *this;
    auto* scheduled = detail::as_scheduled(self);
    return pending<void>{[me, scheduled, grant](std::function<void(result<void>)> done) {
      me.async_release(scheduled, grant, std::move(done));
    }};
  }

private:
  semaphore(std::shared_ptr<detail::context_impl> impl, limit_value limit, std::int64_t permits)
      : impl_(std::move(impl))
      , limit_(std::move(limit))
      , permits_(permits) {}

  void async_acquire(caf::scheduled_actor* self, std::int64_t permits,
                     std::optional<std::chrono::milliseconds> wait, std::function<void()> on_lost,
                     std::function<void(result<std::optional<semaphore_grant>>)> done) const;
  void async_release(caf::scheduled_actor* self, const semaphore_grant& grant,
                     std::function<void(result<void>)> done) const;

  std::shared_ptr<detail::context_impl> impl_;
  limit_value limit_;
  std::int64_t permits_ = 0;
};

// A read/write lock: a semaphore whose readers take one permit each and
// whose writer takes them all. Fair as the semaphore is: readers share
// until a writer asks; from then on the writer is served before every
// reader that asks after it (writer preference over later readers, no
// starvation of either), after the readers that asked before it.
class read_write_lock {
public:
  // At most this many readers hold at once.
  static constexpr std::int64_t max_readers = 1'000'000;

  static read_write_lock make(context& ctx, const dref::id& id);

  const std::string& id() const noexcept { return permits_.id(); }
  const semaphore& permits() const noexcept { return permits_; }

  semaphore_permit read_lock() const { return permits_.acquire(1); }
  std::optional<semaphore_permit> try_read_lock(std::chrono::milliseconds wait) const {
    return permits_.try_acquire(1, wait);
  }
  semaphore_permit write_lock() const { return permits_.acquire(permits_.limit()); }
  std::optional<semaphore_permit> try_write_lock(std::chrono::milliseconds wait) const {
    return permits_.try_acquire(permits_.limit(), wait);
  }

  template <class Self>
  pending<std::optional<semaphore_grant>>
  read_lock(Self* self, std::optional<std::chrono::milliseconds> wait = {},
            std::function<void()> on_lost = {}) const {
    return permits_.acquire(self, 1, wait, std::move(on_lost));
  }
  template <class Self>
  pending<std::optional<semaphore_grant>>
  write_lock(Self* self, std::optional<std::chrono::milliseconds> wait = {},
             std::function<void()> on_lost = {}) const {
    return permits_.acquire(self, permits_.limit(), wait, std::move(on_lost));
  }
  template <class Self>
  pending<void> unlock(Self* self, const semaphore_grant& grant) const {
    return permits_.release(self, grant);
  }

private:
  explicit read_write_lock(semaphore permits)
      : permits_(std::move(permits)) {}
  semaphore permits_;
};

} // namespace dref
