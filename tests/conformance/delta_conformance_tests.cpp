// Large values travel as deltas both ways (docs/deltas.md): updates start
// from the context's copy and ship patches, watchers get each change's
// (old, new) from what they hold. Every backend must give exactly the
// values a whole-value protocol would: these cases check what arrives, and
// bench/raft/raft_delta_bench what it cost.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::spawn_client;
using test::wait_until;

namespace {
using cluster = test::conformance_cluster;
using big = std::vector<std::int64_t>; // 20000 fields: 160 KB encoded

big numbered(std::int64_t base) {
  big v(20'000);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = base + static_cast<std::int64_t>(i);
  return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(delta_conformance)

// Every write (update, set, try_set_at_version, from two nodes) reaches a
// watcher on a third as the exact (old, new) pair, in order.
BOOST_FIXTURE_TEST_CASE(a_watcher_sees_every_change_of_a_large_value_exactly, cluster) {
  auto id = manual_id("d/watched");
  auto writer = node(0).make<big>(numbered(0), id);
  auto other = node(1).existing<big>(id);
  std::mutex mutex;
  std::vector<std::pair<big, big>> seen;
  auto watch = node(2).existing<big>(id).on_change([&](const big& old_value, const big& now) {
    std::lock_guard guard{mutex};
    seen.emplace_back(old_value, now);
  });
  (void)other.get_cached(); // node 1 keeps a copy: its sets ship patches
  std::vector<big> written{numbered(0)};
  for (int i = 1; i <= 6; ++i) {
    auto next = writer.update_and_get([i](big v) {
      v[static_cast<std::size_t>(i) * 1000] = -i;
      return v;
    });
    written.push_back(next);
    auto whole = next;
    whole[7] = 100 + i; // a set of a value one field away: shipped as a patch
    other.set(whole);
    written.push_back(whole);
  }
  auto at = writer.get_versioned();
  auto moved = at.value;
  moved[19'999] = 7;
  BOOST_TEST_REQUIRE(writer.try_set_at_version(at.version, moved).has_value());
  written.push_back(moved);
  BOOST_TEST_REQUIRE(wait_until([&] {
    std::lock_guard guard{mutex};
    return seen.size() >= written.size() - 1;
  }));
  std::lock_guard guard{mutex};
  BOOST_TEST_REQUIRE(seen.size() == written.size() - 1);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    BOOST_TEST_CONTEXT("change " << i) {
      BOOST_TEST((seen[i].first == written[i]));
      BOOST_TEST((seen[i].second == written[i + 1]));
    }
  }
  BOOST_TEST((node(2).existing<big>(id).get() == moved));
  // get_cached() may be behind other nodes' writes for a moment; its copy
  // follows them.
  BOOST_TEST(wait_until([&] { return node(1).existing<big>(id).get_cached() == moved; }));
}

// Updates from two nodes race on one large value: each starts from its
// context's copy, the loser's copy is stale, and nothing is lost.
BOOST_FIXTURE_TEST_CASE(racing_updates_from_copies_lose_nothing, cluster) {
  auto id = manual_id("d/raced");
  (void)node(0).make<big>(numbered(0), id);
  constexpr int rounds = 15;
  std::vector<std::thread> writers;
  for (std::size_t n = 0; n < 2; ++n) {
    writers.emplace_back([&, n] {
      auto r = node(n).existing<big>(id);
      for (int i = 0; i < rounds; ++i)
        r.update([n](big v) {
          v[0] += 1;
          v[n + 1] += 1;
          return v;
        });
    });
  }
  for (auto& t : writers)
    t.join();
  auto now = node(2).existing<big>(id).get();
  BOOST_TEST(now[0] == 2 * rounds);
  BOOST_TEST(now[1] == 1 + rounds);
  BOOST_TEST(now[2] == 2 + rounds);
  BOOST_TEST(now[3] == 3);
}

// Updates and sets from actors, while another node writes the same value.
BOOST_FIXTURE_TEST_CASE(actor_updates_of_a_large_value_lose_nothing, cluster) {
  auto id = manual_id("d/actors");
  (void)node(0).make<big>(numbered(0), id);
  constexpr int rounds = 12;
  std::atomic<int> finished{0}, failed{0};
  std::thread blocking([&] {
    auto r = node(1).existing<big>(id);
    for (int i = 0; i < rounds; ++i)
      r.update([](big v) {
        v[0] += 1;
        return v;
      });
  });
  test::actor_stopper stop;
  auto r = node(0).existing<big>(id);
  stop.add(spawn_client(sys, [&, r](caf::event_based_actor* self, std::function<void()> finish) {
    auto step = std::make_shared<std::function<void(int)>>();
    *step = [self, r, finish, &finished, &failed, weak = std::weak_ptr{step}](int left) {
      if (left == 0) {
        ++finished;
        return finish();
      }
      auto again = weak.lock();
      r.update_and_get(self,
                       [](big v) {
                         v[0] += 1;
                         v[5] += 1;
                         return v;
                       })
          .then([again, left](const big&) { (*again)(left - 1); },
                [&failed, finish](const error& e) {
                  BOOST_TEST_MESSAGE("actor update failed: " << e.to_string());
                  ++failed;
                  finish();
                });
    };
    (*step)(rounds);
  }));
  blocking.join();
  BOOST_TEST_REQUIRE(wait_until([&] { return finished + failed == 1; }, 120s));
  BOOST_TEST(failed.load() == 0);
  auto now = node(2).existing<big>(id).get();
  BOOST_TEST(now[0] == 2 * rounds);
  BOOST_TEST(now[5] == 5 + rounds);
}

BOOST_AUTO_TEST_SUITE_END()
