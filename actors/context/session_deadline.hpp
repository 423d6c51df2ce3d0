#pragma once
// The client's own deadline for one session: the contract (docs/locks.md,
// "When the holder is told") is that a loss is reported no later than one
// TTL after the START of the last renewal the cluster acknowledged. The
// store moves a session's end to (the leader's time when it appends the
// renewal) + TTL, and that append happens after the client sent it; so with
// clocks running at equal rates, this deadline passes before the cluster can
// expire the session and grant its locks to anyone else.
//
// Plain object, no CAF and no clock of its own: time is passed in (the
// keepalive actor in session.cpp drives it with steady_clock readings), so
// it is unit-tested step by step (tests/actors/context).
//
// Lapse listeners (a held lock, an election term) are called once, on the
// thread that found the lapse; a lapse is final: a renewal acknowledged
// after the deadline passed does not bring the session back (the client was
// paused or cut off, and its guards may have been told already).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace dref::detail {

class session_deadline {
public:
  using clock = std::chrono::steady_clock;

  // The loss is reported this much before start + TTL, so that a timer
  // that fires a little late (a busy scheduler) is still ahead of the
  // cluster: TTL/10, at most 100 ms.
  static std::chrono::milliseconds margin_for(std::chrono::milliseconds ttl);

  // opened: when the session open was sent (it counts as a renewal once
  // acknowledged, which the caller has seen when it makes this object).
  session_deadline(std::string session, std::chrono::milliseconds ttl, clock::time_point opened);
  session_deadline(const session_deadline&) = delete;
  session_deadline& operator=(const session_deadline&) = delete;

  const std::string& session() const { return session_; }
  std::chrono::milliseconds ttl() const { return ttl_; }
  // When the loss is reported: start of the last acknowledged renewal +
  // TTL - margin.
  clock::time_point deadline() const;

  // Lapsed for good, or past the deadline at `now` (even before any timer
  // noticed: a process resumed after SIGSTOP reads the truth at once).
  // A retired session is not lapsed (its locks were released, not lost).
  bool lapsed(clock::time_point now) const;

  // A renewal sent at `sent` was acknowledged, and the answer is read at
  // `now`. Moves the deadline on (never back); when `now` is past the
  // deadline the session lapses instead. True while the session lives.
  bool acknowledged(clock::time_point sent, clock::time_point now);

  // Lapses the session when `now` is past the deadline. True when lapsed.
  bool check(clock::time_point now);

  // Lapses now, whatever the clock says (the cluster answered that the
  // session is gone).
  void lapse();

  // The context closed the session itself (shutdown): it is no longer
  // usable, and the listeners are dropped without being called (the locks
  // were released, not lost).
  void retire();

  // f runs once when the session lapses; at once, on this thread, when it
  // has lapsed already (then the answer is 0, which forget ignores).
  std::uint64_t listen(std::function<void()> f);
  // Drops a listener. If it is being called on another thread right now,
  // waits until that call returned, so f may use what its owner is about
  // to destroy.
  void forget(std::uint64_t handle);

private:
  void fire(std::unique_lock<std::mutex>& guard); // called with mutex_ held

  const std::string session_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds margin_;

  mutable std::mutex mutex_;
  std::condition_variable fired_;
  clock::time_point deadline_;
  bool lapsed_ = false;
  bool retired_ = false;
  std::uint64_t next_handle_ = 1;
  std::map<std::uint64_t, std::function<void()>> listeners_;
  // The listener being called, and on which thread (0 when none).
  std::uint64_t calling_ = 0;
  std::thread::id calling_thread_;
};

} // namespace dref::detail
