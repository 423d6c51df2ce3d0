// The rule of barrier_rule.hpp.
#include "barrier_rule.hpp"

namespace dref::detail {

round_step next_step(const round_view& view, std::int64_t parties) {
  if (view.verdict) {
    // A verdict written before this participant's value was not about it.
    if (view.arrived_version > view.verdict_version)
      return round_step::late;
    return *view.verdict == tripped_verdict() ? round_step::pass : round_step::broken;
  }
  // The round moved on: its records go when round+2 is decided (the round is
  // then round+3 or more), so it was decided long before this
  // participant's value was written. Before that, the verdict moved the
  // round on after it was read: read again.
  if (view.current_round >= view.round + 3)
    return round_step::late;
  if (view.current_round > view.round)
    return round_step::reread;
  if (!view.listed_self)
    return round_step::lapsed;
  if (view.listed >= parties)
    return round_step::record_trip;
  if (view.counted > view.listed)
    return round_step::record_break;
  return round_step::wait;
}

} // namespace dref::detail
