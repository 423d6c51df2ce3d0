// The rule of a barrier's participant (barrier_rule.hpp): a verdict wins
// when it is about this participant, a round that moved on is read again
// or left, a count above the participants listed breaks the round.
#include "barrier_rule.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref::detail;

namespace {

// Participant of round 4, its value written at version 100, alone so far.
round_view waiting_alone() {
  round_view v;
  v.round = 4;
  v.arrived_version = 100;
  v.current_round = 4;
  v.counted = 1;
  v.listed = 1;
  v.listed_self = true;
  return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(it_waits_until_every_party_is_listed_then_records_the_trip) {
  auto v = waiting_alone();
  BOOST_TEST((next_step(v, 3) == round_step::wait));
  v.counted = 3;
  v.listed = 3;
  BOOST_TEST((next_step(v, 3) == round_step::record_trip));
  v.counted = 4; // a fourth came in between the count and the listing
  BOOST_TEST((next_step(v, 3) == round_step::record_trip));
}

BOOST_AUTO_TEST_CASE(a_count_above_the_participants_listed_breaks_the_round) {
  auto v = waiting_alone();
  v.counted = 2; // one counted itself and is gone
  BOOST_TEST((next_step(v, 3) == round_step::record_break));
  // One that wrote its value but has not counted itself yet: no break.
  v.counted = 1;
  v.listed = 2;
  BOOST_TEST((next_step(v, 3) == round_step::wait));
}

BOOST_AUTO_TEST_CASE(a_verdict_about_this_participant_is_followed) {
  auto v = waiting_alone();
  v.verdict = tripped_verdict();
  v.verdict_version = 120;
  v.current_round = 5;
  v.listed_self = false; // gone since, or not: the verdict stands
  BOOST_TEST((next_step(v, 3) == round_step::pass));
  v.verdict = "a participant left";
  BOOST_TEST((next_step(v, 3) == round_step::broken));
  // Written before this participant's value: it came too late for it.
  v.verdict_version = 90;
  BOOST_TEST((next_step(v, 3) == round_step::late));
  v.verdict = tripped_verdict();
  BOOST_TEST((next_step(v, 3) == round_step::late));
}

BOOST_AUTO_TEST_CASE(a_round_that_moved_on_is_read_again_or_left) {
  auto v = waiting_alone();
  v.current_round = 5; // the verdict moved it on after it was read
  BOOST_TEST((next_step(v, 3) == round_step::reread));
  v.current_round = 6;
  BOOST_TEST((next_step(v, 3) == round_step::reread));
  v.current_round = 7; // round 4's records may be gone: it is long decided
  BOOST_TEST((next_step(v, 3) == round_step::late));
}

BOOST_AUTO_TEST_CASE(its_own_value_gone_undecided_means_its_session_lapsed) {
  auto v = waiting_alone();
  v.listed_self = false;
  v.listed = 0;
  BOOST_TEST((next_step(v, 3) == round_step::lapsed));
}
