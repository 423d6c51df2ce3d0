// Named commands and queries of the user's own types (dref/commands.hpp has
// the contract), on the backends that run them: the seed's queue with its
// answers from every node, commands from many threads that never conflict
// and each take effect once, refused and throwing commands that leave every
// replica equal, a command that changes nothing writing nothing, watchers
// seeing command writes, and both from an actor.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/actors/ref_actor.hpp"
#include "test_commands.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

using test::counter;
using test::job_queue;

// Registered before main, so every backend the suites start in this process
// runs them; dref-node members load the same from test_commands_plugin.
const bool registered = [] {
  test::register_test_commands(dref::commands());
  return true;
}();

} // namespace

// In this process only: the ref actor serving a job_queue (the other
// process below sees none of its job_queue messages).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::test::job_queue)

BOOST_AUTO_TEST_SUITE(command_conformance)

BOOST_FIXTURE_TEST_CASE(the_seeds_queue_answers_from_every_node, cluster) {
  BOOST_TEST_REQUIRE(registered);
  auto id = manual_id("cmd/queue");
  node(0).make<job_queue>({}, id);
  for (std::int64_t v = 1; v <= 5; ++v) {
    auto before = node(static_cast<std::size_t>(v) % 3)
                      .existing<job_queue>(id)
                      .command<std::int64_t>("test.enqueue", v);
    BOOST_TEST(before.value == v - 1);
  }
  auto first = node(2).existing<job_queue>(id).command<std::optional<std::int64_t>>("test.dequeue");
  BOOST_TEST((first.value == std::optional<std::int64_t>{1}));
  auto second =
      node(1).existing<job_queue>(id).command<std::optional<std::int64_t>>("test.dequeue");
  BOOST_TEST((second.value == std::optional<std::int64_t>{2}));
  // The argument goes as the type it has: name it where a literal would be an int.
  BOOST_TEST((node(0)
                  .existing<job_queue>(id)
                  .command<std::int64_t, std::int64_t>("test.enqueue", 6)
                  .value == 3));
  for (std::size_t i = 0; i < 3; ++i) {
    auto queue = node(i).existing<job_queue>(id);
    auto length = queue.query<std::int64_t>("test.length");
    BOOST_TEST(length.value == 4);
    BOOST_TEST(length.version == queue.get_versioned().version);
    BOOST_TEST((queue.get().items == std::deque<std::int64_t>{3, 4, 5, 6}));
  }
}

// The seed's JustAnInt scenario: increments and a set from every node, a
// get as a command (it changes nothing: no new version) and as a query.
BOOST_FIXTURE_TEST_CASE(the_seeds_just_an_int_answers_from_every_node, cluster) {
  auto id = manual_id("cmd/just-an-int");
  node(0).make<std::int64_t>(0, id);
  for (std::int64_t n = 0; n < 3; ++n)
    BOOST_TEST(node(static_cast<std::size_t>(n))
                   .existing<std::int64_t>(id)
                   .command<std::int64_t>("int.inc")
                   .value == n);
  auto set = node(1).existing<std::int64_t>(id).command<std::int64_t, std::int64_t>("int.set", 10);
  BOOST_TEST(set.value == 3);
  auto got = node(2).existing<std::int64_t>(id).command<std::int64_t>("int.get");
  BOOST_TEST(got.value == 10);
  BOOST_TEST(got.version == set.version); // a command that changes nothing writes nothing
  for (std::size_t i = 0; i < 3; ++i) {
    auto asked = node(i).existing<std::int64_t>(id).query<std::int64_t>("int.get");
    BOOST_TEST(asked.value == 10);
    BOOST_TEST(asked.version == set.version);
  }
}

BOOST_FIXTURE_TEST_CASE(commands_never_conflict_and_each_takes_effect_once, cluster) {
  auto id = manual_id("cmd/counter");
  node(0).make<counter>({}, id);
  constexpr int threads_per_node = 2;
  constexpr int adds = 40;
  std::mutex answers_mutex;
  std::multiset<std::int64_t> answers;
  std::vector<std::thread> threads;
  for (std::size_t n = 0; n < 3; ++n)
    for (int t = 0; t < threads_per_node; ++t)
      threads.emplace_back([&, n] {
        auto c = node(n).existing<counter>(id);
        for (int i = 0; i < adds; ++i) {
          auto before = c.command<std::int64_t>("test.add", std::int64_t{1}).value;
          std::lock_guard guard{answers_mutex};
          answers.insert(before);
        }
      });
  for (auto& t : threads)
    t.join();
  constexpr std::int64_t total = 3 * threads_per_node * adds;
  BOOST_TEST(node(1).existing<counter>(id).get().n == total);
  // Each add saw a different count before it: none ran twice, none was lost.
  BOOST_TEST(answers.size() == static_cast<std::size_t>(total));
  std::int64_t expected = 0;
  for (auto before : answers)
    BOOST_TEST(before == expected++);
}

BOOST_FIXTURE_TEST_CASE(refused_and_throwing_commands_leave_every_replica_equal, cluster) {
  auto id = manual_id("cmd/refused");
  auto c = node(0).make<counter>(counter{5}, id);
  auto exploded =
      node(1).existing<counter>(id).try_command<std::int64_t>("test.explode", std::int64_t{1});
  BOOST_TEST_REQUIRE(!exploded.has_value());
  BOOST_TEST((exploded.error().code == errc::command_failed), exploded.error().message);
  BOOST_TEST(exploded.error().message.find("the counter exploded") != std::string::npos);
  auto unknown = node(2).existing<counter>(id).try_command<std::int64_t>("test.nope");
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == errc::unknown_command));
  auto unknown_query = node(2).existing<counter>(id).try_query<std::int64_t>("test.add");
  BOOST_TEST_REQUIRE(!unknown_query.has_value());
  BOOST_TEST((unknown_query.error().code == errc::unknown_command));
  auto no_argument = c.try_command<std::int64_t>("test.add"); // no_arg where an int64 goes
  BOOST_TEST_REQUIRE(!no_argument.has_value());
  BOOST_TEST((no_argument.error().code == errc::wrong_type), no_argument.error().message);
  auto absent = node(1)
                    .existing<counter>(manual_id("cmd/absent"))
                    .try_command<std::int64_t>("test.add", std::int64_t{1});
  BOOST_TEST_REQUIRE(!absent.has_value());
  BOOST_TEST((absent.error().code == errc::not_found));
  auto made_at = c.get_versioned().version;
  for (std::size_t i = 0; i < 3; ++i) {
    auto seen = node(i).existing<counter>(id).get_versioned();
    BOOST_TEST(seen.value.n == 5);
    BOOST_TEST(seen.version == made_at);
  }
}

BOOST_FIXTURE_TEST_CASE(a_command_that_changes_nothing_writes_nothing, cluster) {
  auto id = manual_id("cmd/idle");
  auto q = node(0).make<job_queue>({}, id);
  std::mutex seen_mutex;
  std::vector<change_kind> seen;
  auto watch = node(1).existing<job_queue>(id).on_change([&](const change<job_queue>& c) {
    std::lock_guard guard{seen_mutex};
    seen.push_back(c.kind);
  });
  q.command<std::int64_t>("test.enqueue", std::int64_t{7});
  auto taken = q.command<std::optional<std::int64_t>>("test.dequeue");
  BOOST_TEST((taken.value == std::optional<std::int64_t>{7}));
  auto idle = node(2).existing<job_queue>(id).command<std::optional<std::int64_t>>("test.dequeue");
  BOOST_TEST(!idle.value.has_value());
  BOOST_TEST(idle.version == taken.version); // no new version
  BOOST_TEST(q.get_versioned().version == taken.version);
  BOOST_TEST(test::wait_until([&] {
    std::lock_guard guard{seen_mutex};
    return seen.size() >= 2;
  }));
  std::this_thread::sleep_for(200ms); // time for an event that must not come
  std::lock_guard guard{seen_mutex};
  BOOST_TEST_REQUIRE(seen.size() == 2u); // the enqueue and the first dequeue, as writes
  BOOST_TEST((seen[0] == change_kind::written));
  BOOST_TEST((seen[1] == change_kind::written));
}

BOOST_FIXTURE_TEST_CASE(raw_values_take_raw_arguments_and_answers, cluster) {
  auto id = manual_id("cmd/raw");
  node(0).make<std::string, raw_codec>("ab", id);
  auto r = node(1).existing<std::string, raw_codec>(id);
  auto answered = r.command<std::string>("test.append", std::string{"cd"});
  BOOST_TEST(answered.value == "4");
  auto seen = node(2).existing<std::string, raw_codec>(id).get();
  BOOST_TEST(seen == "abcd");
}

BOOST_FIXTURE_TEST_CASE(from_an_actor, cluster) {
  auto id = manual_id("cmd/actor");
  node(0).make<counter>(counter{10}, id);
  std::atomic<int> outcome{0}; // 1: both answered as expected
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      auto c = node(1).existing<counter>(id);
      c.command<std::int64_t>(self, "test.add", std::int64_t{5})
          .then(
              [&, self, c, finish](versioned<std::int64_t> before) {
                if (before.value != 10)
                  return outcome = -1, finish();
                c.query<std::int64_t>(self, "test.get")
                    .then(
                        [&, finish, before](versioned<std::int64_t> now) {
                          outcome = now.value == 15 && now.version >= before.version ? 1 : -1;
                          finish();
                        },
                        test::fail_into(outcome, finish));
              },
              test::fail_into(outcome, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }));
  }
  BOOST_TEST(outcome == 1);
}

// A stale query is a read of the node's replica: on every backend it
// answers what is there (once the write reached it); the cluster tests
// show one answering from a member cut off from the leader.
BOOST_FIXTURE_TEST_CASE(stale_queries_answer_from_the_nodes_replica, cluster) {
  auto id = manual_id("cmd/stale");
  node(0).make<job_queue>({}, id);
  auto written =
      node(0).existing<job_queue>(id).command<std::int64_t>("test.enqueue", std::int64_t{7});
  for (std::size_t i = 0; i < 3; ++i) {
    auto queue = node(i).existing<job_queue>(id);
    BOOST_TEST(wait_until([&] {
      auto length = queue.try_stale_query<std::int64_t>("test.length");
      return length && length->value == 1 && length->version == written.version;
    }));
    auto unknown = queue.try_stale_query<std::int64_t>("test.nope");
    BOOST_TEST_REQUIRE(!unknown.has_value());
    BOOST_TEST((unknown.error().code == errc::unknown_command));
  }
}

// The command and query messages cross processes: an actor system that
// knows neither job_queue nor the ref reaches the ref actor through CAF's
// middleman (a second actor system here, connected over loopback, so every
// message is serialized as between two processes).
BOOST_FIXTURE_TEST_CASE(commands_by_message_from_another_actor_system, cluster) {
  auto id = manual_id("cmd/remote");
  node(0).make<job_queue>({}, id);
  test::actor_stopper stopper;
  auto served = stopper.add(spawn_ref_actor(sys, node(0).existing<job_queue>(id)));
  auto port = sys.middleman().publish(caf::actor_cast<ref_command_actor>(served), 0, "127.0.0.1");
  if (!port)
    BOOST_FAIL("cannot publish: " << sys.render(port.error()));
  {
    node_system_config other_cfg;
    caf::actor_system other{other_cfg};
    auto remote = other.middleman().remote_actor<ref_command_actor>("127.0.0.1", *port);
    if (!remote)
      BOOST_FAIL("cannot connect: " << other.render(remote.error()));
    caf::scoped_actor self{other};
    auto fail = [](const caf::error& e) {
      BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
    };
    std::optional<std::int64_t> before;
    std::uint64_t version = 0;
    self->request(*remote, 10s, ref_command_atom::value, std::string{"test.enqueue"},
                  command_argument(std::int64_t{9}))
        .receive(
            [&](const std::string& answer, std::uint64_t v) {
              if (auto decoded = command_answer<std::int64_t>(answer))
                before = *decoded;
              version = v;
            },
            fail);
    BOOST_TEST((before == std::optional<std::int64_t>{0}));
    std::optional<std::int64_t> length;
    self->request(*remote, 10s, ref_query_atom::value, std::string{"test.length"},
                  command_argument(no_arg{}), false)
        .receive(
            [&](const std::string& answer, std::uint64_t v) {
              if (auto decoded = command_answer<std::int64_t>(answer))
                length = *decoded;
              BOOST_TEST(v == version);
            },
            fail);
    BOOST_TEST((length == std::optional<std::int64_t>{1}));
    errc refused = errc::internal;
    self->request(*remote, 10s, ref_command_atom::value, std::string{"test.nope"}, std::string{})
        .receive([](const std::string&, std::uint64_t) { BOOST_ERROR("an unknown command ran"); },
                 [&](const caf::error& e) { refused = from_caf_error(e).code; });
    BOOST_TEST((refused == errc::unknown_command));
  }
  BOOST_TEST((node(1).existing<job_queue>(id).get().items == std::deque<std::int64_t>{9}));
  sys.middleman().unpublish(served, *port);
}

BOOST_AUTO_TEST_SUITE_END()
