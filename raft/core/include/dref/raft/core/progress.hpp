#pragma once
// What a leader knows about one follower's log, and how it paces sending to
// it: one probe at a time while it searches for the match point, then a
// pipeline of at most max_inflight append messages once it has found it.

#include <cstdint>
#include <deque>

namespace dref::raft::core {

struct progress {
  enum class mode : std::uint8_t { probe, replicate, snapshot };

  std::uint64_t match = 0;
  std::uint64_t next = 1;
  mode state = mode::probe;
  // probe: an append is out and unanswered; wait for a reply or a heartbeat.
  bool probe_sent = false;
  // Heard from since the last check-quorum round.
  bool recent_active = false;
  // replicate: last index of each append in flight, oldest first.
  std::deque<std::uint64_t> inflight;
  // snapshot: index of the snapshot being sent, and the next byte to send.
  std::uint64_t snapshot_index = 0;
  std::uint64_t snapshot_offset = 0;
  bool learner = false;
  // ReadIndex and lease: the newest heartbeat round it acknowledged, and the
  // leader tick at which that round was sent.
  std::uint64_t acked_round = 0;
  std::uint64_t acked_round_sent_at = 0;
  // Heartbeat rounds answered while match stood still below the leader's
  // last index: an append of the pipeline was lost, fall back to probing.
  int stalled_heartbeats = 0;
  // The newest commit index a message told it, as far as it can use it (an
  // append's commit is capped by the entries it carries, a heartbeat's by
  // match). When the commit moved while its pipeline was full, it hears of
  // it with the next acknowledgement instead of the next heartbeat.
  std::uint64_t commit_told = 0;

  bool paused(std::size_t max_inflight) const noexcept {
    switch (state) {
      case mode::probe:
        return probe_sent;
      case mode::replicate:
        return inflight.size() >= max_inflight;
      case mode::snapshot:
        return true;
    }
    return true;
  }

  void become_probe() noexcept {
    state = mode::probe;
    probe_sent = false;
    inflight.clear();
    next = match + 1;
    commit_told = 0; // its log may differ from ours after match
  }
  void become_replicate() noexcept {
    state = mode::replicate;
    inflight.clear();
    next = match + 1;
  }

  // An acknowledgement up to index: frees the pipeline slots it covers.
  bool acknowledge(std::uint64_t index) noexcept {
    while (!inflight.empty() && inflight.front() <= index)
      inflight.pop_front();
    probe_sent = false;
    if (index <= match)
      return false;
    match = index;
    stalled_heartbeats = 0;
    if (next <= match)
      next = match + 1;
    return true;
  }
};

} // namespace dref::raft::core
