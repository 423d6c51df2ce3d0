// A lock handed over to a chosen waiter (protocol::cmd_lock_hand_over has
// the contract): holder and token checked as for a release, the chosen
// waiter granted ahead of the others, nothing changed when nobody waits
// under the name given.
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;

BOOST_FIXTURE_TEST_CASE(a_hand_over_grants_the_chosen_waiter_ahead_of_the_others,
                        test::store_fixture) {
  ok<res_session>(cmd_session_open{"a", 10'000});
  ok<res_session>(cmd_session_open{"b", 10'000});
  ok<res_session>(cmd_session_open{"c", 10'000});
  auto g = ok<res_lock>(cmd_lock_acquire{"L", "a", "leader", true});
  ok<res_lock>(cmd_lock_acquire{"L", "a", "leader", true}); // reentrant: handed over whole
  ok<res_lock>(cmd_lock_acquire{"L", "b", "second", true});
  ok<res_lock>(cmd_lock_acquire{"L", "c", "third", true});
  fails(cmd_lock_hand_over{"L", "b", "second", g.token, "third"}, errc::not_holder);
  fails(cmd_lock_hand_over{"L", "a", "leader", g.token + 1, "third"}, errc::stale_token);
  fails(cmd_lock_hand_over{"L", "a", "leader", g.token, "nobody"}, errc::not_found);
  fails(cmd_lock_hand_over{"free", "a", "leader", g.token, "third"}, errc::not_holder);
  BOOST_TEST(s.lock("L").session == "a"); // refusals change nothing
  BOOST_TEST(s.lock("L").waiters.size() == 2u);
  auto handed = ok<res_released>(cmd_lock_hand_over{"L", "a", "leader", g.token, "third"});
  BOOST_TEST(handed.remaining == 0u);
  BOOST_TEST(handed.passed_on);
  auto state = s.lock("L");
  BOOST_TEST(state.session == "c");
  BOOST_TEST(state.owner == "third");
  BOOST_TEST(state.count == 1u);
  BOOST_TEST(state.token > g.token);
  BOOST_TEST_REQUIRE(state.waiters.size() == 1u);
  BOOST_TEST(state.waiters.front().owner == "second"); // still next in line
  // The old holder's late release is refused.
  fails(cmd_lock_release{"L", "a", "leader", g.token}, errc::not_holder);
  // Ending the new holder's session passes the lock on as usual.
  ok<res_done>(cmd_session_close{"c"});
  BOOST_TEST(s.lock("L").owner == "second");
}
