#pragma once
// Distributed locks: what context::lock(), try_lock(), try_lock_for() and
// with_lock() hand out. A lock belongs to the context's session (kept alive
// in the background) and to the calling thread: the same thread locking
// again is reentrant; another thread of the same context waits its turn.
//
// Fencing: every grant carries a token that grows with every grant of any
// lock. Pass it to the resource you protect and have it refuse tokens older
// than the newest it has seen: a holder that was paused past its session
// TTL (and so lost the lock) is then refused instead of corrupting data.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dref/subscription.hpp"

namespace dref {

namespace detail {
struct context_impl;
struct held_lock;
}

class lock_guard {
public:
  lock_guard() = default;
  explicit lock_guard(std::shared_ptr<detail::held_lock> held) : held_(std::move(held)) {}
  lock_guard(lock_guard&&) noexcept = default;
  lock_guard& operator=(lock_guard&& other) noexcept;
  ~lock_guard() { unlock(); }

  const std::string& id() const;
  std::uint64_t fencing_token() const;
  // True once the lock was taken away (the session expired while held).
  bool lost() const;
  // Runs f (once, on a CAF worker thread) when the lock is lost; at once if
  // it was lost already.
  void on_lost(std::function<void()> f);
  // Releases one level; errors (e.g. it was lost) are not thrown here:
  // check lost() where it matters.
  void unlock() noexcept;
  bool owns_lock() const noexcept { return held_ != nullptr; }

private:
  std::shared_ptr<detail::held_lock> held_;
};

} // namespace dref
