// node_figures.hpp has the contract.
#include "dref/backends/raft/node_figures.hpp"

#include <cmath>

namespace dref::raft::node {

void latency_histogram::observe(std::chrono::nanoseconds took) {
  double seconds = std::chrono::duration<double>(took).count();
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i])
      ++cumulative_[i];
  ++count_;
  sum_seconds_ += seconds;
}

std::optional<double> latency_histogram::quantile_since(const latency_histogram& earlier,
                                                        double q) const {
  if (earlier.count_ >= count_) // nothing since, or a copy of another histogram
    return std::nullopt;
  auto observed = count_ - earlier.count_;
  if (observed == 0)
    return std::nullopt;
  auto wanted = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(observed)));
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (cumulative_[i] - earlier.cumulative_[i] >= wanted)
      return bounds[i];
  return bounds.back();
}

} // namespace dref::raft::node
