// A client's batches under faults: one context given every endpoint keeps
// 8 actors x 16 increments in flight, so its proposals reach the member in
// batches (cluster_client.hpp), while members are killed with SIGKILL and
// restarted, or stopped with SIGSTOP and resumed, one at a time (the first
// fault always hits the member the client uses). Every acknowledged
// increment must be in the counters exactly once: their sum is at least
// the acknowledged count (none lost) and at most that plus the failed calls
// (a failed call may or may not have happened; none happened twice).
//
// The faults come from a seed, printed; DREF_BATCH_SEED replays it.

#include "../conformance/wait_until.hpp"
#include "dref/store/named_commands.hpp"
#include "process_cluster.hpp"
#include "request_chains.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>

using namespace dref;
using namespace std::chrono_literals;
using test::process_cluster;

namespace {

constexpr int actors = 8;
constexpr int in_flight = 16; // per actor
constexpr int counters = 4;
constexpr int faults = 4;

// Increments spread over the counters, 16 in flight from each of 8 actors.
std::shared_ptr<test::request_chains> start_increments(caf::actor_system& sys,
                                                       std::vector<ref<std::int64_t>> refs) {
  static const std::string one = store::encode_i64(1);
  return test::start_request_chains(
      sys, actors, in_flight, [refs](caf::event_based_actor* self, int a, auto done) {
        refs[static_cast<std::size_t>(a % counters)]
            .run(self, "add_i64", one)
            .then([done](const versioned<std::int64_t>&) { done(true); },
                  [done](const error&) { done(false); });
      });
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch_failover)

BOOST_AUTO_TEST_CASE(batched_increments_survive_kills_and_pauses_exactly_once) {
  std::uint64_t seed = std::random_device{}();
  if (const char* given = std::getenv("DREF_BATCH_SEED"))
    seed = std::strtoull(given, nullptr, 10);
  BOOST_TEST_MESSAGE("DREF_BATCH_SEED=" << seed);
  std::mt19937_64 rng{seed};

  process_cluster c;
  std::vector<config::endpoint> endpoints;
  for (auto port : c.ports)
    endpoints.push_back(config::endpoint{"127.0.0.1", port});
  // The client uses the first endpoint that answers: member 0.
  auto cluster = raft_member::connect(c.sys, endpoints, 10s);
  context ctx{c.sys, cluster, process_cluster::options()};
  std::vector<ref<std::int64_t>> refs;
  for (int i = 0; i < counters; ++i)
    refs.push_back(ctx.make<std::int64_t>(0, manual_id("batch/c" + std::to_string(i))));

  auto l = start_increments(c.sys, refs);
  for (int f = 0; f < faults; ++f) {
    auto before = l->answers.load();
    BOOST_REQUIRE_MESSAGE(test::wait_until([&] { return l->answers.load() >= before + 200; }, 30s),
                          "increments go on before fault " << f << " (seed " << seed << ")");
    std::size_t member = f == 0 ? 0 : rng() % 3;
    if (rng() % 2 == 0) {
      BOOST_TEST_MESSAGE("fault " << f << ": kill -9 member " << member + 1);
      c.nodes[member]->kill_hard();
      std::this_thread::sleep_for(500ms);
      c.restart(member);
    } else {
      BOOST_TEST_MESSAGE("fault " << f << ": SIGSTOP member " << member + 1 << " for 2.5 s");
      ::kill(c.nodes[member]->pid(), SIGSTOP);
      std::this_thread::sleep_for(2500ms);
      ::kill(c.nodes[member]->pid(), SIGCONT);
    }
  }
  auto before = l->answers.load();
  BOOST_REQUIRE_MESSAGE(test::wait_until([&] { return l->answers.load() >= before + 200; }, 30s),
                        "increments go on after the faults (seed " << seed << ")");
  l->stop = true;
  BOOST_REQUIRE_MESSAGE(test::wait_until([&] { return l->running.load() == 0; }, 60s),
                        "every call answered (seed " << seed << ")");

  std::int64_t sum = 0;
  for (auto& r : refs)
    sum += r.get();
  auto acknowledged = l->answers.load();
  auto failed = l->errors.load();
  BOOST_TEST_MESSAGE("sum " << sum << ", acknowledged " << acknowledged << ", failed " << failed);
  BOOST_TEST(sum >= acknowledged, "an acknowledged increment was lost (seed " << seed << ")");
  BOOST_TEST(sum <= acknowledged + failed, "an increment was applied twice (seed " << seed << ")");
}

BOOST_AUTO_TEST_SUITE_END()
