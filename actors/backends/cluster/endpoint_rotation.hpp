#pragma once
// Which member a cluster client tries next, and when (cluster_client.cpp).
// Pure: no CAF, time passed in. A member that failed is tried again only
// after the others; a round in which every member failed doubles the pause
// before the next round (from `first_pause` up to `max_pause`), and a
// connection that worked resets it, as etcd's clientv3 balancer does.

#include "dref/config/node_config.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace dref::backend {

class endpoint_rotation {
public:
  using time_point = std::chrono::steady_clock::time_point;

  endpoint_rotation(std::vector<config::endpoint> endpoints, std::chrono::milliseconds first_pause,
                    std::chrono::milliseconds max_pause);

  const std::vector<config::endpoint>& endpoints() const noexcept { return endpoints_; }

  // The endpoint to try now and the earliest time to try it (now, or later
  // when a whole round failed).
  struct attempt {
    std::size_t index = 0;
    time_point not_before;
  };
  attempt next(time_point now);

  // The outcome of the attempt at `index` (a connection made, or one that
  // failed or broke later).
  void connected(std::size_t index);
  void failed(std::size_t index, time_point now);

  std::chrono::milliseconds current_pause() const noexcept { return pause_; }

private:
  std::vector<config::endpoint> endpoints_;
  std::chrono::milliseconds first_pause_;
  std::chrono::milliseconds max_pause_;
  std::chrono::milliseconds pause_{0};
  std::size_t cursor_ = 0;          // the next endpoint in the round
  std::size_t failed_in_round_ = 0; // failures since the last success or full round
  time_point round_failed_at_{};
};

} // namespace dref::backend
