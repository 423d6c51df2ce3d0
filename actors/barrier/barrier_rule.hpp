#pragma once
// What a participant of a barrier does next, from what it read of its
// round: pure, so that the rule has its own deterministic test. The
// barrier's contract is in dref/barrier.hpp.
//
// The reads come in this order, each after the one before: the round's
// verdict, the current round, the round's count of arrivals, then one
// listing of the round's participants. A participant writes its own value
// before it counts itself, so a count above the participants listed after
// it means one of them left before the round was decided: it broke.

#include <cstdint>
#include <optional>
#include <string>

namespace dref::detail {

struct round_view {
  std::uint64_t round = 0;           // the round this participant arrived in
  std::uint64_t arrived_version = 0; // the version of its own value
  std::optional<std::string> verdict;
  std::uint64_t verdict_version = 0;
  std::uint64_t current_round = 0; // "<id>/round"
  std::int64_t counted = 0;        // the round's count of arrivals
  std::int64_t listed = 0;         // participants listed
  bool listed_self = false;        // this participant among them
};

enum class round_step {
  wait,         // nothing decided: wait for a change
  pass,         // the round tripped with this participant in it
  broken,       // the round broke
  late,         // arrived after its round was decided: arrive in the current one
  reread,       // the round moved on between two reads: read again
  lapsed,       // its own value is gone: the session lapsed
  record_trip,  // every party is in: write the verdict "tripped"
  record_break, // a participant left: write the verdict "broken"
};

round_step next_step(const round_view& view, std::int64_t parties);

inline const std::string& tripped_verdict() {
  static const std::string tripped = "tripped";
  return tripped;
}

} // namespace dref::detail
