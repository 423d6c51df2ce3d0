// Countdown latches on every backend: waiters on any node open when the
// last count-down commits, never before; concurrent count-downs each count
// once; a participant that crashes before counting down leaves the waiters
// to their timeout, and one that crashes after has counted; an open latch
// can be armed again, a counting one cannot; from actors too.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/latch.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

} // namespace

BOOST_AUTO_TEST_SUITE(latch_conformance)

BOOST_FIXTURE_TEST_CASE(waiters_everywhere_open_at_the_last_count_down, cluster) {
  auto id = manual_id("latch/three");
  auto latch = countdown_latch::make(node(0), id, 3);
  BOOST_TEST(latch.count() == 3);
  auto joined = countdown_latch::make(node(1), id, 99); // joins: never resets
  BOOST_TEST(joined.count() == 3);
  std::atomic<int> opened{0};
  std::vector<std::thread> waiters;
  for (std::size_t n = 0; n < 3; ++n)
    waiters.emplace_back([&, n] {
      if (countdown_latch::make(node(n), id, 3).wait_for(60s))
        ++opened;
    });
  BOOST_TEST(!latch.wait_for(100ms)); // nobody counted: still closed
  BOOST_TEST(latch.count_down() == 2);
  BOOST_TEST(joined.count_down() == 1);
  BOOST_TEST(opened.load() == 0);
  BOOST_TEST(countdown_latch::make(node(2), id, 3).count_down() == 0);
  for (auto& t : waiters)
    t.join();
  BOOST_TEST(opened.load() == 3);
  BOOST_TEST(latch.wait_for(0ms)); // open stays open
  BOOST_TEST(latch.count_down() == 0);
  BOOST_TEST(latch.count() == 0);
}

BOOST_FIXTURE_TEST_CASE(concurrent_count_downs_each_count_once, cluster) {
  constexpr int per_node = 20;
  auto id = manual_id("latch/many");
  auto latch = countdown_latch::make(node(0), id, 3 * per_node);
  std::atomic<int> failed{0};
  std::vector<std::thread> counters;
  for (std::size_t n = 0; n < 3; ++n)
    counters.emplace_back([&, n] {
      auto mine = countdown_latch::make(node(n), id, 1);
      for (int i = 0; i < per_node; ++i)
        if (!mine.try_count_down())
          ++failed;
    });
  for (auto& t : counters)
    t.join();
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(latch.count() == 0);
  BOOST_TEST(latch.wait_for(0ms));
  // One more would have been one too many: the stored count is exactly -1.
  latch.count_down();
  auto stored = node(1).existing<std::int64_t, store::i64_codec>(id).get();
  BOOST_TEST(stored == -1);
}

// The crashed participant: one that never counted leaves the waiters to
// their timeout; one that counted and then crashed has counted.
BOOST_FIXTURE_TEST_CASE(a_crashed_participant_counts_only_what_it_committed, cluster) {
  auto id = manual_id("latch/crash");
  auto latch = countdown_latch::make(node(0), id, 3);
  countdown_latch::make(node(1), id, 3).count_down();
  node(1).abandon(); // counted, then crashed
  node(2).abandon(); // crashed before counting
  BOOST_TEST(latch.count() == 2);
  latch.count_down();
  BOOST_TEST(!latch.wait_for(300ms)); // node 2 never counts
  BOOST_TEST(latch.count() == 1);
  latch.count_down(); // a replacement counts in its place
  BOOST_TEST(latch.wait_for(0ms));
}

BOOST_FIXTURE_TEST_CASE(only_an_open_latch_can_be_armed_again, cluster) {
  auto id = manual_id("latch/again");
  auto latch = countdown_latch::make(node(0), id, 1);
  BOOST_TEST(!latch.try_set_count(5)); // still counting
  BOOST_TEST(latch.count() == 1);
  latch.count_down();
  latch.count_down(); // past zero: still open
  BOOST_TEST(latch.try_set_count(2));
  BOOST_TEST(latch.count() == 2);
  BOOST_TEST(!latch.wait_for(50ms));
  BOOST_CHECK_THROW(latch.try_set_count(0), error_exception);
  BOOST_CHECK_THROW(countdown_latch::make(node(1), manual_id("latch/zero"), 0), error_exception);
  auto missing =
      node(1).existing<std::int64_t, store::i64_codec>(manual_id("latch/zero")).try_get();
  BOOST_TEST((!missing && missing.error().code == errc::not_found)); // nothing was made
  // A removed latch is not waited for forever.
  auto removed = node(1).existing<std::int64_t, store::i64_codec>(id).remove();
  BOOST_TEST(removed);
  auto gone = latch.try_wait_for(10s);
  BOOST_TEST_REQUIRE(!gone.has_value());
  BOOST_TEST((gone.error().code == errc::not_found));
}

BOOST_FIXTURE_TEST_CASE(count_down_and_wait_from_actors, cluster) {
  auto id = manual_id("latch/actors");
  auto latch = countdown_latch::make(node(0), id, 2);
  auto theirs = countdown_latch::make(node(1), id, 2);
  std::atomic<bool> opened{false};
  std::atomic<bool> timed_out{false};
  std::atomic<std::int64_t> after_count{-1};
  std::mutex failure_mutex;
  std::optional<error> failure;
  auto fail = [&](const error& e) {
    std::lock_guard guard{failure_mutex};
    failure = e;
  };
  test::actor_stopper stopper;
  stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
    latch.wait(self, 100ms)
        .then(
            [&, finish](void) {
              fail(error{errc::internal, "opened early"});
            },
            [&, self, finish](const error& e) {
              if (e.code != errc::timeout)
                return fail(e), finish();
              timed_out = true;
              latch.wait(self).then([&, finish] { opened = true, finish(); },
                                    [&, finish](const error& e2) { fail(e2), finish(); });
            });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return timed_out.load() || failure.has_value(); }));
  stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
    theirs.count_down(self).then(
        [&, self, finish](std::int64_t left) {
          after_count = left;
          theirs.count_down(self).then([finish](std::int64_t) { finish(); },
                                       [&, finish](const error& e) { fail(e), finish(); });
        },
        [&, finish](const error& e) { fail(e), finish(); });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return opened.load() || failure.has_value(); }));
  std::lock_guard guard{failure_mutex};
  BOOST_TEST_REQUIRE(!failure.has_value(), (failure ? failure->message : std::string{}));
  BOOST_TEST(after_count.load() == 1);
  BOOST_TEST(latch.count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
