#include "endpoint_rotation.hpp"

#include <algorithm>

namespace dref::backend {

endpoint_rotation::endpoint_rotation(std::vector<config::endpoint> endpoints,
                                     std::chrono::milliseconds first_pause,
                                     std::chrono::milliseconds max_pause)
    : endpoints_(std::move(endpoints))
    , first_pause_(first_pause)
    , max_pause_(max_pause) {}

endpoint_rotation::attempt endpoint_rotation::next(time_point now) {
  attempt out;
  out.index = endpoints_.empty() ? 0 : cursor_ % endpoints_.size();
  out.not_before = now;
  if (pause_.count() > 0)
    out.not_before = std::max(now, round_failed_at_ + pause_);
  return out;
}

void endpoint_rotation::connected(std::size_t index) {
  cursor_ = index;
  failed_in_round_ = 0;
  pause_ = std::chrono::milliseconds{0};
}

void endpoint_rotation::failed(std::size_t index, time_point now) {
  if (endpoints_.empty())
    return;
  // Move past the failed one even when it was not the cursor's (a
  // connection that broke long after it was made).
  cursor_ = (index + 1) % endpoints_.size();
  if (++failed_in_round_ < endpoints_.size())
    return;
  // Every member failed in a row: wait before the next round, longer each time.
  failed_in_round_ = 0;
  round_failed_at_ = now;
  pause_ = pause_.count() == 0 ? first_pause_ : std::min(max_pause_, pause_ * 2);
}

} // namespace dref::backend
