// Delays on every backend, the cases where nobody who asks has the body: a
// get without a body makes an idle body-holder run it (blocking and from an
// actor); a body that throws fails the waiters and the next get tries
// again; a body-holder that crashes while running is replaced once its
// session lapses. (lock_conformance_tests.cpp has the runs among callers
// that all wait.)

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "test_thread.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

template <class T>
std::string why(const result<T>& r) {
  return r ? std::string{} : r.error().to_string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(delay_conformance)

BOOST_FIXTURE_TEST_CASE(an_idle_body_holder_runs_for_a_get_without_a_body, cluster) {
  std::atomic<int> runs{0};
  // Node 1 holds the body and never calls get().
  auto holder = node(1).make_delay<int>(manual_id("dl/idle"), [&] {
    ++runs;
    return 41;
  });
  auto got = node(0).make_delay<int>(manual_id("dl/idle")).get_for(20s);
  BOOST_TEST_REQUIRE(got.has_value(), why(got));
  BOOST_TEST(*got == 41);
  BOOST_TEST(node(2).make_delay<int>(manual_id("dl/idle")).get() == 41);
  BOOST_TEST(runs == 1);

  // From an actor, with the holder on another node again.
  auto holder2 = node(2).make_delay<int>(manual_id("dl/idle-actor"), [&] {
    ++runs;
    return 42;
  });
  std::atomic<int> outcome{0};
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      node(0)
          .make_delay<int>(manual_id("dl/idle-actor"))
          .get_for(self, 20s)
          .then(
              [&, finish](int value) {
                outcome = value;
                finish();
              },
              test::fail_into(outcome, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }, 30s));
  }
  BOOST_TEST(outcome == 42);
  BOOST_TEST(runs == 2);
}

BOOST_FIXTURE_TEST_CASE(a_failing_body_fails_the_waiters_and_the_next_get_tries_again, cluster) {
  std::atomic<int> runs{0};
  auto holder = node(1).make_delay<int>(manual_id("dl/flaky"), [&] {
    if (++runs == 1)
      throw std::runtime_error("the first run fails");
    return 7;
  });
  auto failed = node(0).make_delay<int>(manual_id("dl/flaky")).get_for(20s);
  BOOST_TEST_REQUIRE(!failed.has_value());
  BOOST_TEST(to_string(failed.error().code) == "body_failed");
  BOOST_TEST(failed.error().message.find("the first run fails") != std::string::npos,
             failed.error().message);
  auto again = node(2).make_delay<int>(manual_id("dl/flaky")).get_for(20s);
  BOOST_TEST_REQUIRE(again.has_value(), why(again));
  BOOST_TEST(*again == 7);
  BOOST_TEST(runs == 2);

  // The get that ran a failing body gets the body's own exception, and the
  // delay is free for the next one.
  auto throws = node(2).make_delay<int>(manual_id("dl/throws"),
                                        []() -> int { throw std::runtime_error("boom"); });
  try {
    (void)throws.get();
    BOOST_ERROR("the body's exception did not reach its caller");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string{e.what()} == "boom");
  }
  auto fixed = node(0).make_delay<int>(manual_id("dl/throws"), [] { return 3; });
  auto after = fixed.get_for(20s);
  BOOST_TEST_REQUIRE(after.has_value(), why(after));
  BOOST_TEST(*after == 3);

  // From an actor: the failure is an error with the message.
  std::atomic<int> outcome{0};
  std::string message;
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      node(1)
          .make_delay<int>(manual_id("dl/actor-throws"),
                           []() -> int { throw std::invalid_argument("bad input"); })
          .get(self)
          .then(
              [&, finish](int) {
                outcome = -1;
                finish();
              },
              [&, finish](const error& e) {
                message = e.message;
                outcome = e.code == errc::body_failed ? 1 : -2;
                finish();
              });
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }, 30s));
  }
  BOOST_TEST(outcome == 1);
  BOOST_TEST(message.find("bad input") != std::string::npos, message);
}

// The crashed participant: the body-holder that took the run crashes in
// the middle (abandon: no renewals, nothing released); once its session
// lapses, the waiter asks again and another body-holder runs it.
BOOST_FIXTURE_TEST_CASE(a_body_holder_that_crashes_while_running_is_replaced, cluster) {
  std::atomic<bool> started{false};
  auto doomed = node(1).make_delay<int>(manual_id("dl/crash"), [&] {
    started = true;
    node(1).abandon();
    return 1; // never committed: the context is stopped
  });
  std::atomic<int> got{0};
  test::test_thread waiter([&] {
    auto value = node(0).make_delay<int>(manual_id("dl/crash")).get_for(30s);
    if (value)
      got = *value;
    else
      got = -1;
  });
  BOOST_TEST_REQUIRE(test::wait_until([&] { return started.load(); }, 20s));
  auto survivor = node(2).make_delay<int>(manual_id("dl/crash"), [] { return 2; });
  BOOST_TEST_REQUIRE(test::wait_until([&] { return got != 0; }, 40s));
  waiter.join();
  BOOST_TEST(got == 2);
}

BOOST_AUTO_TEST_SUITE_END()
