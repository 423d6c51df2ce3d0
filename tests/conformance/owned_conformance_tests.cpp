// Values owned by a session, and values with a time to live, on every
// backend: gone (with a removal event watchers see) when the owner closes,
// crashes (no renewals; its session lapses), or the TTL passes; ordinary
// writes keep the owner, a removal or another owner's write ends it.

#include "actor_client.hpp"
#include "backend_clusters.hpp"
#include "cluster_fixture.hpp"
#include "seen_changes.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;
using steady = std::chrono::steady_clock;

bool absent(context& ctx, const std::string& id) {
  auto got = ctx.existing<int>(manual_id(id)).try_get();
  return !got && got.error().code == errc::not_found;
}

// Long enough for the owner's session to lapse once nothing renews it.
constexpr auto lapse_wait = test::conformance_session_ttl * 10;

} // namespace

BOOST_AUTO_TEST_SUITE(owned_conformance)

BOOST_FIXTURE_TEST_CASE(an_owned_value_goes_with_its_session_and_watchers_see_it, cluster) {
  auto id = manual_id("ow/closed");
  test::seen_changes seen;
  auto watcher = node(0).existing<int>(id);
  auto watch = watcher.on_change([&](const change<int>& c) { seen.add(c); });
  auto written = node(1).existing<int>(id).set_owned(7);
  BOOST_TEST(node(2).existing<int>(id).get() == 7);
  auto owner = node(2).existing<int>(id).owner(); // reads say who owns it
  BOOST_TEST(!owner.empty());
  BOOST_TEST(node(2).existing<int>(id).try_set(8).has_value());
  BOOST_TEST(node(0).existing<int>(id).owner() == owner); // a write keeps it
  node(1).shutdown();                                     // closes the session at once
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/closed"); }, 10s));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return seen.size() >= 3; }));
  auto all = seen.copy();
  BOOST_TEST((all[0].kind == change_kind::created));
  BOOST_TEST(all[0].new_version == written);
  BOOST_TEST((all[1].kind == change_kind::written));
  BOOST_TEST((all[2].kind == change_kind::removed));
  BOOST_TEST(all[2].old_value.value_or(0) == 8);
}

// The crashed participant: no close, no renewals. The value stays while
// the session may still be alive and goes once it lapses.
BOOST_FIXTURE_TEST_CASE(an_owned_value_goes_when_its_owner_crashes, cluster) {
  auto id = manual_id("ow/crashed");
  node(1).existing<int>(id).set_owned(1);
  node(1).abandon();
  BOOST_TEST(node(0).existing<int>(id).get() == 1);
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/crashed"); }, lapse_wait));
  BOOST_TEST(absent(node(2), "ow/crashed"));
}

BOOST_FIXTURE_TEST_CASE(writes_keep_the_owner_and_a_removal_ends_it, cluster) {
  // Someone else's set keeps it owned: it still goes with the owner.
  node(1).existing<int>(manual_id("ow/kept")).set_owned(1);
  node(0).existing<int>(manual_id("ow/kept")).set(2);
  node(0).existing<int>(manual_id("ow/kept")).update([](int v) { return v + 1; });
  // Removed and made again without an owner: not the owner's any more.
  node(1).existing<int>(manual_id("ow/remade")).set_owned(1);
  BOOST_TEST(node(0).existing<int>(manual_id("ow/remade")).remove());
  node(0).make<int>(5, manual_id("ow/remade"));
  // Taken over by another session: goes with that one instead.
  node(1).existing<int>(manual_id("ow/taken")).set_owned(1);
  node(2).existing<int>(manual_id("ow/taken")).set_owned(2);
  // Removed in a transaction: not the owner's any more either.
  node(1).existing<int>(manual_id("ow/txn")).set_owned(1);
  {
    txn t;
    t.remove(node(0).existing<int>(manual_id("ow/txn")));
    BOOST_TEST_REQUIRE(node(0).commit(t).committed);
  }
  node(0).make<int>(6, manual_id("ow/txn"));

  node(1).shutdown();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/kept"); }, 10s));
  BOOST_TEST(node(0).existing<int>(manual_id("ow/remade")).get() == 5);
  BOOST_TEST(node(0).existing<int>(manual_id("ow/taken")).get() == 2);
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn")).get() == 6);
  node(2).shutdown();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/taken"); }, 10s));
}

BOOST_FIXTURE_TEST_CASE(create_owned_joins_a_value_that_exists_and_does_not_take_it, cluster) {
  auto id = manual_id("ow/create");
  node(0).make<int>(1, id);
  BOOST_TEST(!node(1).existing<int>(id).create_owned(2));
  BOOST_TEST(node(1).existing<int>(id).create_owned(9) == false);
  auto fresh = manual_id("ow/create-fresh");
  BOOST_TEST(node(1).existing<int>(fresh).create_owned(3));
  BOOST_TEST(!node(2).existing<int>(fresh).create_owned(4)); // the first owner keeps it
  node(1).shutdown();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/create-fresh"); }, 10s));
  BOOST_TEST(node(0).existing<int>(id).get() == 1); // never owned: stays
}

// A TTL value is owned by a session nobody renews: it goes once the TTL
// has passed, never before; writing it with a TTL again starts a new one.
// The two values' TTLs run side by side.
BOOST_FIXTURE_TEST_CASE(a_value_with_a_ttl_goes_after_it_and_a_new_ttl_replaces_the_old, cluster) {
  constexpr auto ttl = 3000ms;
  std::atomic<std::int64_t> removed_at_ms{-1};
  auto start = steady::now();
  auto since_start = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
  };
  auto id = manual_id("ow/ttl");
  auto watch = node(0).existing<int>(id).on_change([&](const change<int>& c) {
    if (c.kind == change_kind::removed)
      removed_at_ms = since_start();
  });
  node(1).existing<int>(id).set_with_ttl(1, ttl);

  // Renewed by writing it again with a TTL: the first TTL's end does not
  // take it, the second's does.
  auto renewed = manual_id("ow/ttl-renewed");
  auto first = steady::now();
  node(1).existing<int>(renewed).set_with_ttl(1, ttl);
  std::this_thread::sleep_for(ttl / 2);
  auto second = steady::now();
  node(2).existing<int>(renewed).set_with_ttl(2, ttl);
  std::this_thread::sleep_until(first + ttl + 500ms);
  auto value = node(0).existing<int>(renewed).try_get();
  auto checked_at = steady::now();
  if (checked_at < second + ttl) { // else this machine was too slow to tell
    BOOST_TEST_REQUIRE(value.has_value());
    BOOST_TEST(*value == 2);
  }

  BOOST_TEST(test::wait_until([&] { return removed_at_ms >= 0; }, ttl * 10));
  BOOST_TEST(removed_at_ms.load() >= ttl.count() - 50); // not early (clock granularity)
  BOOST_TEST(absent(node(2), "ow/ttl"));
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/ttl-renewed"); }, ttl * 10));
  // A TTL below what a session may have is refused before anything is written.
  auto refused = node(0).existing<int>(manual_id("ow/ttl-short")).try_set_with_ttl(1, 1ms);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST((refused.error().code == errc::invalid_argument));
  BOOST_TEST(absent(node(0), "ow/ttl-short"));
}

BOOST_FIXTURE_TEST_CASE(owned_and_ttl_values_from_actors, cluster) {
  std::atomic<int> done{0};
  std::optional<error> failure;
  std::mutex failure_mutex;
  auto fail = [&](const error& e) {
    std::lock_guard guard{failure_mutex};
    failure = e;
  };
  test::actor_stopper stopper;
  auto owned = node(1).existing<int>(manual_id("ow/actor"));
  auto with_ttl = node(1).existing<int>(manual_id("ow/actor-ttl"));
  stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
    owned.set_owned(self, 4).then(
        [&, self, finish](std::uint64_t) {
          with_ttl.set_with_ttl(self, 5, 2000ms)
              .then([&, finish](std::uint64_t) { ++done, finish(); },
                    [&, finish](const error& e) { fail(e), finish(); });
        },
        [&, finish](const error& e) { fail(e), finish(); });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return done == 1 || failure.has_value(); }));
  {
    std::lock_guard guard{failure_mutex};
    BOOST_TEST_REQUIRE(!failure.has_value(), (failure ? failure->message : std::string{}));
  }
  BOOST_TEST(node(0).existing<int>(manual_id("ow/actor")).get() == 4);
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/actor-ttl"); }, 30s));
  node(1).abandon();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/actor"); }, lapse_wait));
}

// A txn's owned sets (txn.hpp): committed with the plain writes at one
// version, each going with its own session: the TTL one once its TTL has
// passed, the context's once it crashes; the plain write stays. A txn that
// did not commit, or whose TTL is refused, writes nothing.
BOOST_FIXTURE_TEST_CASE(a_txn_writes_owned_and_ttl_values_with_plain_ones, cluster) {
  auto plain = node(1).existing<int>(manual_id("ow/txn/plain"));
  auto mine = node(1).existing<int>(manual_id("ow/txn/mine"));
  auto brief = node(1).existing<int>(manual_id("ow/txn/brief"));
  auto done = node(1).commit(
      txn{}.if_absent(plain).set(plain, 1).set_owned(mine, 2).set_with_ttl(brief, 3, 2000ms));
  BOOST_TEST_REQUIRE(done.committed);
  for (const char* id : {"ow/txn/plain", "ow/txn/mine", "ow/txn/brief"})
    BOOST_TEST(node(0).existing<int>(manual_id(id)).get_versioned().version == done.version, id);
  auto other = node(1).existing<int>(manual_id("ow/txn/other"));
  other.set_owned(4);
  BOOST_TEST(!node(0).existing<int>(manual_id("ow/txn/mine")).owner().empty());
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn/mine")).owner() == other.owner());
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn/brief")).owner() != other.owner());
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn/plain")).owner().empty());
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/txn/brief"); }, 30s));
  BOOST_TEST(node(2).existing<int>(manual_id("ow/txn/mine")).get() == 2);

  auto late = node(2).existing<int>(manual_id("ow/txn/late"));
  auto not_committed =
      node(2).commit(txn{}.if_absent(plain).set_with_ttl(late, 5, 2000ms).set_owned(brief, 6));
  BOOST_TEST(!not_committed.committed);
  BOOST_TEST(not_committed.failed_id == "ow/txn/plain");
  auto refused = node(2).try_commit(txn{}.set(late, 7).set_with_ttl(brief, 8, 1ms));
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST((refused.error().code == errc::invalid_argument), refused.error().message);
  BOOST_TEST(absent(node(0), "ow/txn/late"));
  BOOST_TEST(absent(node(0), "ow/txn/brief"));

  node(1).abandon();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/txn/mine"); }, lapse_wait));
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn/plain")).get() == 1);
}

BOOST_FIXTURE_TEST_CASE(a_txn_with_owned_sets_from_an_actor, cluster) {
  std::atomic<int> outcome{0}; // 1: committed; -1: not
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      auto& ctx = node(1);
      auto mine = ctx.existing<int>(manual_id("ow/txn-actor/mine"));
      auto brief = ctx.existing<int>(manual_id("ow/txn-actor/brief"));
      ctx.commit(self, txn{}.set_owned(mine, 1).set_with_ttl(brief, 2, 2000ms))
          .then(
              [&, finish](txn_result done) {
                outcome = done.committed ? 1 : -1;
                finish();
              },
              test::fail_into(outcome, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }));
  }
  BOOST_TEST(outcome == 1);
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn-actor/mine")).get() == 1);
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/txn-actor/brief"); }, 30s));
  BOOST_TEST(node(0).existing<int>(manual_id("ow/txn-actor/mine")).get() == 1);
  node(1).abandon();
  BOOST_TEST(test::wait_until([&] { return absent(node(0), "ow/txn-actor/mine"); }, lapse_wait));
}

BOOST_AUTO_TEST_SUITE_END()
