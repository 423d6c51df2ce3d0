// leader_clock: the leader's stamps move only with its monotonic clock.

#include "leader_clock.hpp"

#include <boost/test/unit_test.hpp>

using dref::raft::node::leader_clock;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

} // namespace

BOOST_AUTO_TEST_SUITE(leader_clock_part)

BOOST_AUTO_TEST_CASE(a_fresh_cluster_starts_at_the_wall_clock_then_moves_monotonically) {
  leader_clock clock;
  BOOST_TEST(clock.stamp(1, t0, 0, 5'000'000) == 5'000'000u);
  // Whatever the wall clock says later, only steady time counts.
  BOOST_TEST(clock.stamp(1, t0 + 250ms, 5'000'000, 9'999'999'999) == 5'000'250u);
  BOOST_TEST(clock.stamp(1, t0 + 1s, 5'000'250, 1) == 5'001'000u);
}

BOOST_AUTO_TEST_CASE(a_new_term_continues_from_the_store_time_not_the_wall_clock) {
  leader_clock clock;
  (void)clock.stamp(1, t0, 0, 1'000'000);
  // Leading again in term 3, far later by the wall clock (or far earlier):
  // the store's time goes on from where it was.
  BOOST_TEST(clock.stamp(3, t0 + 10s, 1'004'000, 1'000'000 + 60'000'000) == 1'004'000u);
  BOOST_TEST(clock.stamp(3, t0 + 10s + 40ms, 1'004'000, 1) == 1'004'040u);
}

BOOST_AUTO_TEST_CASE(steady_time_going_nowhere_never_moves_the_stamp_back) {
  leader_clock clock;
  (void)clock.stamp(2, t0, 7'000, 0);
  BOOST_TEST(clock.stamp(2, t0 - 5ms, 7'000, 0) == 7'000u);
}

BOOST_AUTO_TEST_SUITE_END()
