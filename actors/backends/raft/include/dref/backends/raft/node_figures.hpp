#pragma once
// A member's own counters and latency histograms, for /metrics and the
// dashboard (the gateway asks with (read_atom, local_atom, overview_atom)).
// The node actor records into it; durations come in as arguments, never
// from a clock.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

namespace dref::raft::node {

class latency_histogram {
public:
  // Upper bounds of the buckets in seconds (Prometheus' le; +Inf implied).
  static constexpr std::array<double, 14> bounds{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  void observe(std::chrono::nanoseconds took);
  // Observations at or under bounds[i] (cumulative, as Prometheus wants).
  std::uint64_t at_or_under(std::size_t i) const { return cumulative_[i]; }
  std::uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_seconds_; }
  // The q-quantile (0 < q <= 1) of what was observed since `earlier` (a copy
  // of this histogram taken then), as the upper bound of its bucket in
  // seconds; nullopt when nothing was observed since. Past the last bound:
  // that bound.
  std::optional<double> quantile_since(const latency_histogram& earlier, double q) const;

private:
  std::array<std::uint64_t, bounds.size()> cumulative_{};
  std::uint64_t count_ = 0;
  double sum_seconds_ = 0;
};

struct node_figures {
  // Proposals this member led into the log and answered when applied.
  std::uint64_t proposals_committed = 0;
  // A new leader seen (the first one included), as etcd counts them.
  std::uint64_t leader_changes = 0;
  // From a proposal entering this leader's log to its entry being applied.
  latency_histogram commit_latency;
  // From a proposal forwarded to the leader to the leader's answer: the
  // commit latency of the proposals this follower took.
  latency_histogram forward_latency;
  // One ready round's log append and fsync (storage_driver::persist).
  latency_histogram persist_latency;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t last_snapshot_bytes = 0;

  void leader_seen(std::uint64_t leader) {
    if (leader != 0 && leader != last_leader_) {
      ++leader_changes;
      last_leader_ = leader;
    }
  }

private:
  std::uint64_t last_leader_ = 0;
};

} // namespace dref::raft::node
