#pragma once
// Distributed locks: what context::lock(), try_lock(), try_lock_for() and
// with_lock() hand out. A lock belongs to the context's session (kept alive
// in the background) and to the calling thread: the same thread locking
// again is reentrant; another thread of the same context waits its turn.
//
// From actors, context::lock(self, id) and friends: the holder is the actor
// instead of a thread, and the answers are fencing tokens, not guards
// (releasing takes a round trip, which a destructor in an actor must not
// wait for): unlock(self, id, token) when done.
//
// Fencing: every grant carries a token that grows with every grant of any
// lock. Pass it to the resource you protect and have it refuse tokens older
// than the newest it has seen: a holder that was paused past its session
// TTL (and so lost the lock) is then refused instead of corrupting data.

#include "dref/protocol/result.hpp"
#include "dref/subscription.hpp"

#include <atomic>
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
struct held_lock;

// Locks from actors (lock_async.cpp): done and on_lost run in self's
// context. owner names the holder within this context's session.
struct lock_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  // wait: nullopt waits as long as it takes, zero never waits; nullopt
  // answer: not acquired in time. on_lost (may be empty) runs if the grant
  // is lost because the session lapsed.
  void acquire(caf::scheduled_actor* self, std::string owner,
               std::optional<std::chrono::milliseconds> wait, std::function<void()> on_lost,
               std::function<void(result<std::optional<std::uint64_t>>)> done) const;
  // One level of what this context holds under token (see context::unlock).
  void release(caf::scheduled_actor* self, std::uint64_t token,
               std::function<void(result<void>)> done) const;
  // session_expired when the grant under token was lost with its session.
  std::optional<error> lost_grant(std::uint64_t token) const;
};

// The owner name of an actor: "actor-<id>".
std::string actor_owner(const caf::scheduled_actor* self);
std::string actor_owner(std::uint64_t actor_id);
} // namespace detail

class lock_guard {
public:
  lock_guard() = default;
  explicit lock_guard(std::shared_ptr<detail::held_lock> held)
      : held_(std::move(held)) {}
  lock_guard(lock_guard&&) noexcept = default;
  lock_guard& operator=(lock_guard&& other) noexcept;
  ~lock_guard() { unlock(); }

  const std::string& id() const;
  std::uint64_t fencing_token() const;
  // True once the lock was taken away: the client's own session deadline
  // passed, or the store expired the session (docs/locks.md says when).
  bool lost() const;
  // Runs f (once, on a CAF worker thread) when the lock is lost; at once if
  // it was lost already.
  void on_lost(std::function<void()> f);
  // Releases one level; errors (e.g. it was lost) are not thrown here:
  // check lost() where it matters. Like a subscription's cancel(), it waits
  // for an on_lost call under way on another thread, so f may use what the
  // guard's scope owns (and must not take a lock held around unlock()).
  void unlock() noexcept;
  bool owns_lock() const noexcept { return held_ != nullptr; }

private:
  std::shared_ptr<detail::held_lock> held_;
};

} // namespace dref
