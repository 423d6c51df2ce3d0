#pragma once
// The time a leader stamps into the entries it proposes: the only time the
// store knows (sessions expire by it). It never reads the wall clock once a
// cluster has a time: at the start of each term it leads, it takes the time
// the store last applied and moves it on by its own monotonic clock, so a
// wall-clock jump on any member, in either direction, neither expires a
// live session nor keeps a dead one. Across a leader change the store's
// time stands still between the last stamp applied and the new leader's
// first (sessions gain that gap; none loses any). A fresh cluster's time
// starts at the first leader's wall clock, so stamps read as dates. Plain
// C++: times come in as arguments.

#include <chrono>
#include <cstdint>

namespace dref::raft::node {

class leader_clock {
public:
  using steady = std::chrono::steady_clock;

  // The stamp for an entry proposed at `at`, as leader in `term`, with
  // store_now the store's applied time and wall_ms this member's wall
  // clock (used only while the store has no time yet).
  std::uint64_t stamp(std::uint64_t term, steady::time_point at, std::uint64_t store_now,
                      std::uint64_t wall_ms) {
    if (term != term_) {
      term_ = term;
      base_ = store_now != 0 ? store_now : wall_ms;
      since_ = at;
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(at - since_).count();
    return base_ + static_cast<std::uint64_t>(elapsed > 0 ? elapsed : 0);
  }

private:
  std::uint64_t term_ = 0; // terms start at 1
  std::uint64_t base_ = 0;
  steady::time_point since_{};
};

} // namespace dref::raft::node
