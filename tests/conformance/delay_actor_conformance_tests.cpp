// Delays from actors: d.get(self), d.get_for(self, wait), and the typed
// delay actor (dref/actors/delay_actor.hpp); every backend must provide
// them (run here on memory).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/delay_actor.hpp"
#include "wait_until.hpp"

#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::fail_into;
using test::spawn_client;
using test::wait_until;

namespace {
using cluster = test::conformance_cluster;
} // namespace

BOOST_AUTO_TEST_SUITE(delay_actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(the_body_runs_once_across_three_nodes_from_actors, cluster) {
  auto id = manual_id("da/once");
  std::atomic<int> runs{0};
  std::array<int, 3> got{};
  std::array<std::atomic<int>, 3> outcome{};
  test::actor_stopper stop;
  for (std::size_t n = 0; n < 3; ++n) {
    auto d = node(n).make_delay<int>(id, [&runs, n] {
      ++runs;
      std::this_thread::sleep_for(50ms); // let the others find it running
      return 40 + static_cast<int>(n);
    });
    stop.add(
        spawn_client(sys, [&, n, d](caf::event_based_actor* self, std::function<void()> finish) {
          d.get(self).then(
              [&, n, finish](int value) {
                got[n] = value;
                outcome[n] = 1;
                finish();
              },
              fail_into(outcome[n], finish));
        }));
  }
  for (auto& o : outcome)
    BOOST_TEST_REQUIRE(wait_until([&] { return o != 0; }));
  BOOST_TEST(runs.load() == 1);
  for (std::size_t n = 0; n < 3; ++n) {
    BOOST_TEST(outcome[n].load() == 1);
    BOOST_TEST(got[n] == got[0]);
  }
  BOOST_TEST(node(1).make_delay<int>(id).get() == got[0]);
}

BOOST_FIXTURE_TEST_CASE(a_bodiless_actor_waits_for_a_runner_or_times_out, cluster) {
  std::atomic<int> outcome{0}, timed{0};
  std::string got;
  errc timeout_code = errc::internal;
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    node(0)
        .make_delay<std::string>(manual_id("da/wait"))
        .get(self)
        .then(
            [&, finish](std::string value) {
              got = value;
              outcome = 1;
              finish();
            },
            fail_into(outcome, finish));
  }));
  stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    node(1)
        .make_delay<std::string>(manual_id("da/never"))
        .get_for(self, 100ms)
        .then(
            [&, finish](std::string) {
              BOOST_ERROR("a delay nobody runs completed");
              timed = -1;
              finish();
            },
            [&, finish](const error& e) {
              timeout_code = e.code;
              timed = 1;
              finish();
            });
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return timed != 0; }));
  BOOST_TEST((timeout_code == errc::timeout));
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(outcome.load() == 0); // nobody ran the body yet
  BOOST_TEST(node(2)
                 .make_delay<std::string>(manual_id("da/wait"), [] { return std::string{"ran"}; })
                 .get() == "ran");
  BOOST_TEST_REQUIRE(wait_until([&] { return outcome != 0; }));
  BOOST_TEST(got == "ran");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delay_actor_conformance)

BOOST_FIXTURE_TEST_CASE(clients_of_three_delay_actors_get_one_value, cluster) {
  auto id = manual_id("dt/once");
  std::atomic<int> runs{0};
  constexpr int clients = 12;
  std::array<std::int64_t, clients> got{};
  std::atomic<int> answered{0}, failed{0};
  test::actor_stopper stop;
  std::vector<delay_actor<std::int64_t>> served;
  for (std::size_t n = 0; n < 3; ++n)
    served.push_back(
        stop.add(spawn_delay_actor(sys, node(n).make_delay<std::int64_t>(id, [&runs, n] {
          ++runs;
          return static_cast<std::int64_t>(100 + n);
        }))));
  for (int c = 0; c < clients; ++c)
    stop.add(sys.spawn(
        [&, c, target = served[static_cast<std::size_t>(c) % 3]](caf::event_based_actor* self) {
          self->request(target, caf::infinite, delay_get_atom::value)
              .then(
                  [&, c](std::int64_t value) {
                    got[static_cast<std::size_t>(c)] = value;
                    ++answered;
                  },
                  [&](const caf::error&) { ++failed; });
        }));
  BOOST_TEST_REQUIRE(wait_until([&] { return answered + failed == clients; }));
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(runs.load() == 1);
  for (auto value : got)
    BOOST_TEST(value == got[0]);
  BOOST_TEST((got[0] >= 100 && got[0] <= 102));
}

BOOST_AUTO_TEST_SUITE_END()
