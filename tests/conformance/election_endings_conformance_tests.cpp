// when_elected's cancellation on every way a term ends that the other
// election suites do not cover (resign, a crash and a hung member have
// theirs): the candidate leaves, its election handle is destroyed, its
// context shuts down. Each time the leader's callback is cancelled before
// the call that ended the term returns, and the next in line is elected.

#include "cluster_fixture.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <optional>

using namespace dref;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

// Whether the term's callback ran and was cancelled, and whether it was
// still running when it was cancelled (it waits for the cancellation).
struct term {
  std::atomic<bool> elected{false};
  std::atomic<bool> cancelled{false};
  void attach(election& e) {
    e.when_elected([this](cancellation stop) {
      elected = true;
      stop.wait();
      cancelled = true;
    });
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(election_endings_conformance)

BOOST_FIXTURE_TEST_CASE(leaving_destroying_and_shutting_down_each_cancel_the_term, cluster) {
  auto name = manual_id("el/endings");
  term a_term, b_term, c_term;
  auto a = node(0).join_election(name, "a");
  a_term.attach(a);
  BOOST_TEST_REQUIRE(wait_until([&] { return a_term.elected.load(); }));
  std::optional<election> b{node(1).join_election(name, "b")};
  b_term.attach(*b);
  auto c = node(2).join_election(name, "c");
  c_term.attach(c);

  a.leave(); // leaving while leading
  BOOST_TEST(a_term.cancelled.load());
  BOOST_TEST(!a.is_leader());
  BOOST_TEST_REQUIRE(wait_until([&] { return b_term.elected.load(); }));
  BOOST_TEST(b->is_leader());

  b.reset(); // the handle goes while leading
  BOOST_TEST(b_term.cancelled.load());
  BOOST_TEST_REQUIRE(wait_until([&] { return c_term.elected.load(); }));
  BOOST_TEST(c.is_leader());
  BOOST_TEST(!c_term.cancelled.load());

  node(2).shutdown(); // the context goes while leading
  BOOST_TEST(c_term.cancelled.load());
  BOOST_TEST(!c.is_leader());
  auto seen = node(0).observe_election(name).leader();
  BOOST_TEST(!seen.has_value()); // nobody is left, and nobody is said to lead
}

BOOST_AUTO_TEST_SUITE_END()
