// Promises from actors: p.deliver(self, v), p.get(self), p.get_for(self,
// wait), and the typed promise actor (dref/actors/promise_actor.hpp); every
// backend must provide them (run here on memory).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/promise_actor.hpp"
#include "wait_until.hpp"

#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <string>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::fail_into;
using test::spawn_client;
using test::wait_until;

namespace {
using cluster = test::conformance_cluster;
} // namespace

BOOST_AUTO_TEST_SUITE(promise_actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(actors_on_three_nodes_get_one_delivery, cluster) {
  auto id = manual_id("pa/three");
  std::array<std::string, 3> got;
  std::array<std::atomic<int>, 3> outcome{};
  std::atomic<int> delivered{0};
  bool first = false, second = true;
  test::actor_stopper stop;
  for (std::size_t n = 0; n < 3; ++n)
    stop.add(spawn_client(sys, [&, n, p = node(n).make_promise<std::string>(id)](
                                   caf::event_based_actor* self, std::function<void()> finish) {
      p.get(self).then(
          [&, n, finish](std::string value) {
            got[n] = value;
            outcome[n] = 1;
            finish();
          },
          fail_into(outcome[n], finish));
    }));
  std::this_thread::sleep_for(200ms);
  for (auto& o : outcome)
    BOOST_TEST(o.load() == 0); // nothing delivered yet: nobody answered
  stop.add(spawn_client(sys, [&, p = node(1).make_promise<std::string>(id)](
                                 caf::event_based_actor* self, std::function<void()> finish) {
    p.deliver(self, std::string{"done"})
        .then(
            [&, self, p, finish](bool won) {
              first = won;
              p.deliver(self, std::string{"again"})
                  .then(
                      [&, finish](bool won2) {
                        second = won2;
                        delivered = 1;
                        finish();
                      },
                      fail_into(delivered, finish));
            },
            fail_into(delivered, finish));
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return delivered != 0; }));
  BOOST_TEST(first);
  BOOST_TEST(!second);
  for (std::size_t n = 0; n < 3; ++n) {
    BOOST_TEST_REQUIRE(wait_until([&] { return outcome[n] != 0; }));
    BOOST_TEST(outcome[n].load() == 1);
    BOOST_TEST(got[n] == "done");
  }
}

BOOST_FIXTURE_TEST_CASE(an_actor_gets_an_earlier_delivery_and_a_bounded_wait_times_out, cluster) {
  node(0).make_promise<int>(manual_id("pa/early")).deliver(7);
  std::atomic<int> outcome{0};
  int early = 0;
  errc timed_out = errc::internal;
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    node(2)
        .make_promise<int>(manual_id("pa/early"))
        .get(self)
        .then(
            [&, self, finish](int value) {
              early = value;
              node(2)
                  .make_promise<int>(manual_id("pa/never"))
                  .get_for(self, 100ms)
                  .then(
                      [&, finish](int) {
                        BOOST_ERROR("an undelivered promise answered");
                        outcome = -1;
                        finish();
                      },
                      [&, finish](const error& e) {
                        timed_out = e.code;
                        outcome = 1;
                        finish();
                      });
            },
            fail_into(outcome, finish));
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return outcome != 0; }));
  BOOST_TEST(early == 7);
  BOOST_TEST((timed_out == errc::timeout));
  // The timed-out wait changed nothing: a later delivery is the first.
  BOOST_TEST(node(0).make_promise<int>(manual_id("pa/never")).deliver(1));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(promise_actor_conformance)

BOOST_FIXTURE_TEST_CASE(awaits_on_three_nodes_complete_after_one_deliver_message, cluster) {
  auto id = manual_id("pt/three");
  std::array<std::string, 3> got;
  std::atomic<int> answered{0}, failed{0};
  test::actor_stopper stop;
  std::vector<promise_actor<std::string>> served;
  for (std::size_t n = 0; n < 3; ++n)
    served.push_back(stop.add(spawn_promise_actor(sys, node(n).make_promise<std::string>(id))));
  for (std::size_t n = 0; n < 3; ++n)
    stop.add(sys.spawn([&, n, target = served[n]](caf::event_based_actor* self) {
      self->request(target, caf::infinite, promise_await_atom::value)
          .then(
              [&, n](const std::string& value) {
                got[n] = value;
                ++answered;
              },
              [&](const caf::error&) { ++failed; });
    }));
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(answered.load() == 0);
  caf::scoped_actor self{sys};
  bool first = false, second = true;
  auto fail = [](const caf::error& e) {
    BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
  };
  self->request(served[1], 5s, promise_deliver_atom::value, std::string{"v"})
      .receive([&](bool b) { first = b; }, fail);
  self->request(served[2], 5s, promise_deliver_atom::value, std::string{"w"})
      .receive([&](bool b) { second = b; }, fail);
  BOOST_TEST(first);
  BOOST_TEST(!second);
  BOOST_TEST_REQUIRE(wait_until([&] { return answered + failed == 3; }));
  BOOST_TEST(failed.load() == 0);
  for (const auto& value : got)
    BOOST_TEST(value == "v");
}

BOOST_AUTO_TEST_SUITE_END()
