// Barriers on every backend: participants on every node go on together
// once all parties arrived, round after round; a participant that crashes
// (its session lapses) or whose wait runs out breaks the round for the
// others, also one that crashed before the others arrived; the next round
// begins fresh; from actors too.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/barrier.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <mutex>
#include <optional>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

std::future<result<std::uint64_t>> arrive(context& node, const dref::id& id, std::int64_t parties,
                                          std::optional<std::chrono::milliseconds> wait = 60s) {
  return std::async(std::launch::async, [&node, id, parties, wait] {
    return barrier::make(node, id, parties).try_arrive_and_wait(wait);
  });
}

bool still_waiting(std::future<result<std::uint64_t>>& f, std::chrono::milliseconds d = 0ms) {
  return f.wait_for(d) == std::future_status::timeout;
}

} // namespace

BOOST_AUTO_TEST_SUITE(barrier_conformance)

BOOST_FIXTURE_TEST_CASE(participants_go_on_together_round_after_round, cluster) {
  auto id = manual_id("bar/rounds");
  for (std::uint64_t round = 0; round < 3; ++round) {
    auto first = arrive(node(0), id, 3);
    auto second = arrive(node(1), id, 3);
    BOOST_TEST(still_waiting(first, 300ms)); // two of three: nobody goes on
    BOOST_TEST(still_waiting(second));
    auto third = barrier::make(node(2), id, 3).try_arrive_and_wait(60s);
    BOOST_TEST_REQUIRE(third.has_value(), (third ? "" : third.error().to_string()));
    auto one = first.get();
    auto two = second.get();
    BOOST_TEST_REQUIRE(one.has_value());
    BOOST_TEST_REQUIRE(two.has_value());
    BOOST_TEST(*one == round);
    BOOST_TEST(*two == round);
    BOOST_TEST(*third == round);
  }
  BOOST_TEST(barrier::make(node(0), id, 7).parties() == 3); // joined as it is
  // The participants' values left with them; two rounds' records are kept.
  BOOST_TEST(node(0).list("bar/rounds/r2/in/").ids.empty());
  BOOST_TEST(node(0).list("bar/rounds/r0/").ids.empty());
}

BOOST_FIXTURE_TEST_CASE(bad_parties_are_refused, cluster) {
  auto refused = [&](std::int64_t parties) {
    try {
      (void)barrier::make(node(0), manual_id("bar/bad"), parties);
    } catch (const error_exception& e) {
      return e.error().code == errc::invalid_argument;
    }
    return false;
  };
  BOOST_TEST(refused(1));
  BOOST_TEST(refused(0));
  BOOST_TEST(refused(barrier::max_parties + 1));
}

BOOST_FIXTURE_TEST_CASE(a_crashed_participant_breaks_the_round, cluster) {
  auto id = manual_id("bar/crash");
  auto doomed = arrive(node(1), id, 3);
  auto waiting = arrive(node(0), id, 3);
  // Both arrived and counted themselves: the count is 2 (three ids,
  // "arrived" and two values, can also mean one value not counted yet, and
  // a crash there is the gap barrier.hpp states).
  BOOST_TEST_REQUIRE(test::wait_until([&] {
    auto counted = node(2)
                       .existing<std::int64_t, store::i64_codec>(manual_id("bar/crash/r0/arrived"))
                       .try_get();
    return counted && *counted == 2;
  }));
  BOOST_TEST(node(2).list("bar/crash/r0/").ids.size() == 3u);
  node(1).abandon(); // stops renewing its session, leaves nothing
  auto broke = waiting.get();
  BOOST_TEST_REQUIRE(!broke.has_value());
  BOOST_TEST((broke.error().code == errc::broken), broke.error().to_string());
  auto crashed = doomed.get();
  BOOST_TEST(!crashed.has_value());
  // The next round begins fresh: two live participants and a third.
  auto a = arrive(node(0), id, 3);
  auto b = arrive(node(2), id, 3);
  auto c = barrier::make(node(2), id, 3).try_arrive_and_wait(60s);
  BOOST_TEST_REQUIRE(c.has_value(), (c ? "" : c.error().to_string()));
  BOOST_TEST(*c == 1u);
  BOOST_TEST(a.get().value() == 1u);
  BOOST_TEST(b.get().value() == 1u);
}

BOOST_FIXTURE_TEST_CASE(one_that_crashed_before_the_others_arrived_breaks_it_too, cluster) {
  auto id = manual_id("bar/early");
  auto doomed = arrive(node(1), id, 2);
  // It arrived and counted itself ("arrived" and its value).
  BOOST_TEST_REQUIRE(
      test::wait_until([&] { return node(0).list("bar/early/r0/").ids.size() == 2; }));
  node(1).abandon();
  BOOST_TEST_REQUIRE(
      test::wait_until([&] { return node(0).list("bar/early/r0/in/").ids.empty(); }, 30s));
  // It was counted, and it is gone: the round is broken, not waiting for
  // a participant that will never come.
  auto late = barrier::make(node(0), id, 2).try_arrive_and_wait(60s);
  BOOST_TEST_REQUIRE(!late.has_value());
  BOOST_TEST((late.error().code == errc::broken), late.error().to_string());
  (void)doomed.get();
}

BOOST_FIXTURE_TEST_CASE(a_wait_that_runs_out_breaks_the_round_for_the_others, cluster) {
  auto id = manual_id("bar/timeout");
  auto patient = arrive(node(0), id, 3);
  auto impatient = barrier::make(node(1), id, 3).try_arrive_and_wait(300ms);
  BOOST_TEST_REQUIRE(!impatient.has_value());
  BOOST_TEST((impatient.error().code == errc::timeout), impatient.error().to_string());
  auto broke = patient.get();
  BOOST_TEST_REQUIRE(!broke.has_value());
  BOOST_TEST((broke.error().code == errc::broken), broke.error().to_string());
}

BOOST_FIXTURE_TEST_CASE(participants_from_actors, cluster) {
  auto id = manual_id("bar/actors");
  auto mine = barrier::make(node(0), id, 3);
  auto theirs = barrier::make(node(1), id, 3);
  std::mutex failure_mutex;
  std::optional<error> failure;
  std::atomic<int> passed{0};
  std::atomic<std::uint64_t> rounds{0};
  test::actor_stopper stopper;
  for (auto* handle : {&mine, &theirs})
    stopper.add(test::spawn_client(sys, [&, handle](caf::event_based_actor* self, auto finish) {
      handle->arrive_and_wait(self).then(
          [&, finish](std::uint64_t round) {
            rounds += round;
            ++passed;
            finish();
          },
          [&, finish](const error& e) {
            std::lock_guard guard{failure_mutex};
            failure = e;
            finish();
          });
    }));
  BOOST_TEST_REQUIRE(
      test::wait_until([&] { return node(2).list("bar/actors/r0/in/").ids.size() == 2; }));
  BOOST_TEST(passed.load() == 0);
  BOOST_TEST(barrier::make(node(2), id, 3).arrive_and_wait() == 0u);
  BOOST_TEST(test::wait_until([&] { return passed.load() == 2; }));
  BOOST_TEST(rounds.load() == 0u);
  std::lock_guard guard{failure_mutex};
  BOOST_TEST(!failure.has_value(), (failure ? failure->to_string() : std::string{}));
}

BOOST_AUTO_TEST_SUITE_END()
