// Administration through a member that knows no leader (contract in
// actors/backends/raft/admin_waits.hpp): the request waits there until a
// leader is elected and then goes through, or fails at the member's request
// timeout saying that nothing was done. It used to be refused at once, so
// that an operator (or a test) right after a restart raced the election.

#include "process_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>

using namespace dref;
using namespace std::chrono_literals;

using test::process_cluster;

BOOST_AUTO_TEST_SUITE(admin_wait)

BOOST_AUTO_TEST_CASE(an_admin_request_waits_for_a_leader_or_says_nothing_was_done) {
  constexpr auto member_timeout = 5s;
  process_cluster c{3, {"--request-timeout-ms", "5000"}};
  c.make_a_follower(0);
  auto joiner = c.start_joiner();
  c.nodes[1]->kill_hard();
  c.nodes[2]->kill_hard();

  // No leader comes back: refused at the member's timeout, not at once.
  auto asked = std::chrono::steady_clock::now();
  auto refused = c.members[0].add_learner(c.sys, c.name(joiner), c.endpoint(joiner), 20s);
  auto waited = std::chrono::steady_clock::now() - asked;
  BOOST_TEST_MESSAGE("refused after "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                     << " ms: " << (refused ? "done" : refused.error().message));
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST((refused.error().code == errc::unavailable));
  BOOST_TEST(refused.error().message.find("nothing was done") != std::string::npos,
             refused.error().message);
  BOOST_TEST((waited >= member_timeout - 500ms));

  // A leader comes back while the request waits: it goes through.
  auto adding = std::async(std::launch::async, [&] {
    return c.members[0].add_learner(c.sys, c.name(joiner), c.endpoint(joiner), 20s);
  });
  std::this_thread::sleep_for(300ms);
  c.restart(1);
  auto added = adding.get();
  BOOST_TEST(added.has_value(), (added ? "" : added.error().message));
  auto st = c.members[0].status(c.sys, 5s);
  BOOST_REQUIRE(st.has_value());
  bool listed = false;
  for (const auto& m : st->members)
    listed = listed || (m.name == c.name(joiner) && !m.voter);
  BOOST_TEST(listed, c.name(joiner) << " is not a learner in member 0's status");
}

BOOST_AUTO_TEST_SUITE_END()
