// Effectful updates every backend must provide (run here on memory): only
// the effect of the attempt that committed runs, once, after its commit.

#include "cluster_fixture.hpp"
#include "test_thread.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace dref;

namespace {

struct ten_nodes : test::conformance_cluster {
  ten_nodes()
      : test::conformance_cluster(10) {}
};

} // namespace

BOOST_AUTO_TEST_SUITE(effect_conformance)

BOOST_FIXTURE_TEST_CASE(one_leader_claim_among_ten_nodes_logs_once, ten_nodes) {
  const auto id = manual_id("fx/leader");
  node(0).make<std::string>("", id);
  std::atomic<int> effects{0};
  std::atomic<int> attempts{0};
  std::string announced;
  std::mutex announced_mutex;
  std::latch start{10};
  std::vector<test::test_thread> nodes;
  for (std::size_t n = 0; n < 10; ++n)
    nodes.emplace_back([&, n] {
      auto leader = node(n).existing<std::string>(id);
      auto me = "node-" + std::to_string(n);
      start.arrive_and_wait();
      leader.update_effect([&](const std::string& current) -> with_effect<std::string> {
        ++attempts;
        if (!current.empty())
          return {current, {}};
        return {me, [&, me] {
                  ++effects;
                  std::lock_guard guard{announced_mutex};
                  announced = me; // "I am the leader"
                }};
      });
    });
  for (auto& t : nodes)
    t.join();
  BOOST_TEST_MESSAGE("update attempts by 10 nodes: " << attempts.load());
  BOOST_TEST(attempts.load() >= 10);
  BOOST_TEST(effects.load() == 1);
  BOOST_TEST(node(5).existing<std::string>(id).get() == announced);
}

BOOST_FIXTURE_TEST_CASE(each_committed_update_runs_its_effect_once_after_commit, ten_nodes) {
  const auto id = manual_id("fx/counter");
  node(0).make<int>(0, id);
  constexpr int per_node = 30;
  std::atomic<int> effects{0};
  std::atomic<int> attempts{0};
  std::atomic<int> ran_before_commit{0};
  std::latch start{10};
  std::vector<test::test_thread> nodes;
  for (std::size_t n = 0; n < 10; ++n)
    nodes.emplace_back([&, n] {
      auto counter = node(n).existing<int>(id);
      auto observer = node((n + 1) % 10).existing<int>(id);
      start.arrive_and_wait();
      for (int i = 0; i < per_node; ++i)
        counter.update_effect([&](int current) -> with_effect<int> {
          ++attempts;
          int next = current + 1;
          return {next, [&, next] {
                    ++effects;
                    // Committed already: every node reads it (or later values).
                    if (observer.get() < next)
                      ++ran_before_commit;
                  }};
        });
    });
  for (auto& t : nodes)
    t.join();
  BOOST_TEST_MESSAGE("attempts for " << 10 * per_node << " updates: " << attempts.load());
  BOOST_TEST(effects.load() == 10 * per_node);
  BOOST_TEST(node(0).existing<int>(id).get() == 10 * per_node);
  BOOST_TEST(ran_before_commit.load() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_refused_update_runs_no_effect, ten_nodes) {
  auto r = node(0).make<int>(1, manual_id("fx/refused"));
  r.set_validator([](int v) { return v < 10; });
  bool ran = false;
  try {
    r.get_and_update_effect([&](int) -> with_effect<int> { return {99, [&] { ran = true; }}; });
    BOOST_FAIL("the validator should have refused 99");
  } catch (const error_exception& e) {
    BOOST_TEST((e.error().code == errc::validation_failed));
  }
  BOOST_TEST(!ran);
  BOOST_TEST(r.get() == 1);
  int old = r.get_and_update_effect([&](int v) -> with_effect<int> {
    return {v + 1, [&] { ran = true; }};
  });
  BOOST_TEST(old == 1);
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_SUITE_END()
