// Transactions on every backend (txn.hpp has the contract): all writes at
// one version or none, a failed compare named with the version found,
// watchers seeing each write, bad transactions refused whole, from blocking
// code and from actors; and transfers between accounts from every node at
// once that keep the total (a txn that was not atomic, or a compare not
// checked, loses or makes money).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "seen_changes.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <random>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;
using test::seen_changes;

} // namespace

BOOST_AUTO_TEST_SUITE(txn_conformance)

BOOST_FIXTURE_TEST_CASE(writes_commit_together_and_watchers_see_each, cluster) {
  auto from = node(0).make<int>(100, manual_id("txn/from"));
  auto to = node(0).make<int>(100, manual_id("txn/to"));
  auto old = node(0).make<int>(1, manual_id("txn/old"));
  seen_changes seen;
  std::vector<subscription> watches;
  for (const char* id : {"txn/from", "txn/to", "txn/old", "txn/new"})
    watches.push_back(
        node(1).existing<int>(manual_id(id)).on_change([&](const change<int>& c) { seen.add(c); }));

  auto f = from.get_versioned();
  auto t = to.get_versioned();
  auto mine_from = node(2).existing<int>(manual_id("txn/from"));
  auto mine_new = node(2).existing<int>(manual_id("txn/new"));
  txn transfer;
  transfer.if_version(mine_from, f.version)
      .if_version(node(2).existing<int>(manual_id("txn/to")), t.version)
      .if_absent(mine_new)
      .set(mine_from, 90)
      .set(node(2).existing<int>(manual_id("txn/to")), 110)
      .set(mine_new, 7)
      .remove(node(2).existing<int>(manual_id("txn/old")));
  auto done = node(2).commit(transfer);
  BOOST_TEST_REQUIRE(done.committed);
  BOOST_TEST(done.version > std::max(f.version, t.version));
  // Every node sees all of it, each write at the txn's version.
  for (std::size_t n = 0; n < 3; ++n) {
    auto a = node(n).existing<int>(manual_id("txn/from")).get_versioned();
    auto b = node(n).existing<int>(manual_id("txn/to")).get_versioned();
    auto c = node(n).existing<int>(manual_id("txn/new")).get_versioned();
    BOOST_TEST(a.value == 90);
    BOOST_TEST(b.value == 110);
    BOOST_TEST(c.value == 7);
    for (auto version : {a.version, b.version, c.version})
      BOOST_TEST(version == done.version);
    BOOST_TEST(
        (node(n).existing<int>(manual_id("txn/old")).try_get().error().code == errc::not_found));
  }
  // The committing context reads its own writes from its cached copies.
  BOOST_TEST(mine_from.get_cached() == 90);
  BOOST_TEST(mine_new.get_cached() == 7);

  BOOST_TEST_REQUIRE(test::wait_until([&] { return seen.copy().size() >= 4; }));
  auto all = seen.copy();
  BOOST_TEST_REQUIRE(all.size() == 4u);
  int written = 0, created = 0, removed = 0;
  for (const auto& c : all) {
    BOOST_TEST(c.new_version == done.version);
    written += c.kind == change_kind::written;
    created += c.kind == change_kind::created;
    removed += c.kind == change_kind::removed;
    if (c.kind == change_kind::removed)
      BOOST_TEST(c.old_value.value_or(0) == 1);
    if (c.kind == change_kind::written)
      BOOST_TEST(c.old_value.value_or(0) == 100);
  }
  BOOST_TEST(written == 2);
  BOOST_TEST(created == 1);
  BOOST_TEST(removed == 1);
}

BOOST_FIXTURE_TEST_CASE(a_failed_compare_is_named_and_changes_nothing, cluster) {
  auto a = node(0).make<int>(1, manual_id("txn/a"));
  auto b = node(0).make<int>(2, manual_id("txn/b"));
  auto seen_a = a.get_versioned();
  auto moved = node(1).existing<int>(manual_id("txn/b")).set(3);
  txn stale;
  stale.if_version(a, seen_a.version).if_version(b, moved - 1).set(a, 10).set(b, 20);
  auto out = node(2).commit(stale);
  BOOST_TEST(!out);
  BOOST_TEST(out.failed_compare == 1u);
  BOOST_TEST(out.failed_id == "txn/b");
  BOOST_TEST(out.found_version == moved);
  BOOST_TEST(a.get_versioned().version == seen_a.version);
  BOOST_TEST(a.get() == 1);
  BOOST_TEST(b.get() == 3);

  // Absent expected, present found; and create-if-absent across two ids,
  // once.
  txn create_both;
  create_both.if_absent("txn/c1").if_absent("txn/c2");
  create_both.set_bytes("txn/c1", "x").set_bytes("txn/c2", "y");
  BOOST_TEST(node(0).commit(create_both).committed);
  auto again = node(1).commit(create_both);
  BOOST_TEST(!again.committed);
  BOOST_TEST(again.failed_id == "txn/c1");
  BOOST_TEST(again.found_version > 0u);
  txn present;
  present.if_version("txn/never", 5).set_bytes("txn/never", "z");
  auto absent = node(2).commit(present);
  BOOST_TEST(!absent.committed);
  BOOST_TEST(absent.found_version == 0u);
  BOOST_TEST(
      (node(0).existing<int>(manual_id("txn/never")).try_get().error().code == errc::not_found));
}

BOOST_FIXTURE_TEST_CASE(bad_transactions_are_refused_whole, cluster) {
  auto a = node(0).make<int>(1, manual_id("txn/bad/a"));
  auto version = a.get_versioned().version;
  auto refused = [&](const txn& t, errc code) {
    auto got = node(1).try_commit(t);
    BOOST_TEST_REQUIRE(!got);
    BOOST_TEST(to_string(got.error().code) == to_string(code));
    BOOST_TEST(a.get_versioned().version == version); // nothing written
  };
  refused(txn{}.set(a, 2).remove(a), errc::invalid_argument);
  refused(txn{}.set(a, 2).set_bytes("dref/members/x", "h:1"), errc::invalid_argument);
  refused(txn{}.set(a, 2).set_bytes("bad id!", "v"), errc::invalid_id);
  refused(txn{}.if_version("bad id!", 1).set(a, 2), errc::invalid_id);
  txn many;
  for (int i = 0; i <= 128; ++i)
    many.set_bytes("txn/bad/" + std::to_string(i), "v");
  refused(many.set(a, 2), errc::limit_exceeded);
  // The ref's validator refuses while the txn is built: nothing is sent.
  auto checked = node(1).existing<int>(manual_id("txn/bad/a"));
  checked.set_validator([](const int& v) { return v >= 0; });
  txn negative;
  negative.set(checked, -1).set_bytes("txn/bad/other", "v");
  refused(negative, errc::validation_failed);
  BOOST_TEST((node(0).existing<int>(manual_id("txn/bad/other")).try_get().error().code ==
              errc::not_found));
}

BOOST_FIXTURE_TEST_CASE(from_an_actor, cluster) {
  auto a = node(0).make<int>(5, manual_id("txn/actor/a"));
  auto seen = a.get_versioned();
  std::atomic<int> outcome{0}; // 1: committed; 2: then the stale one failed
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      auto& ctx = node(1);
      auto r = ctx.existing<int>(manual_id("txn/actor/a"));
      ctx.commit(self, txn{}.if_version(r, seen.version).set(r, 6))
          .then(
              [&, self, finish, r](txn_result first) {
                outcome = first.committed ? 1 : -1;
                ctx.commit(self, txn{}.if_version(r, seen.version).set(r, 7))
                    .then(
                        [&, finish](txn_result second) {
                          outcome =
                              !second.committed && second.found_version > seen.version ? 2 : -1;
                          finish();
                        },
                        test::fail_into(outcome, finish));
              },
              test::fail_into(outcome, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome == 2 || outcome < 0; }));
  }
  BOOST_TEST(outcome == 2);
  BOOST_TEST(a.get() == 6);
}

// Every node moves money between accounts at once (two tellers each, three
// accounts, so that they collide): read two balances, then
// a txn that writes both only if neither moved. With atomic, checked
// transactions the total stays what it was and each balance is exactly what
// the committed transfers make it; replay a failure's choices with
// DREF_TXN_SEED (the interleaving is the machine's).
BOOST_FIXTURE_TEST_CASE(concurrent_transfers_keep_the_total, cluster) {
  constexpr int accounts = 3;
  constexpr int start = 1000;
  std::vector<std::string> ids;
  for (int i = 0; i < accounts; ++i) {
    ids.push_back("txn/bank/" + std::to_string(i));
    (void)node(0).make<int>(start, manual_id(ids.back()));
  }
  std::uint64_t seed = std::random_device{}();
  if (const char* given = std::getenv("DREF_TXN_SEED"))
    seed = std::stoull(given);
  BOOST_TEST_MESSAGE("concurrent_transfers_keep_the_total: seed " << seed);
  std::atomic<int> committed{0}, conflicts{0};
  std::mutex problems_mutex;
  std::vector<std::string> problems;        // Boost.Test checks are not thread-safe
  std::vector<int> ledger(accounts, start); // what the committed transfers add up to
  std::vector<std::thread> tellers;
  for (std::size_t n = 0; n < 6; ++n) // two tellers on each node
    tellers.emplace_back([&, n] {
      std::mt19937_64 rng{seed + n};
      auto& ctx = node(n % 3);
      for (int i = 0; i < 60; ++i) {
        auto x = static_cast<std::size_t>(rng() % accounts);
        auto y = (x + 1 + rng() % (accounts - 1)) % accounts;
        int amount = static_cast<int>(rng() % 50) + 1;
        try {
          auto from = ctx.existing<int>(manual_id(ids[x]));
          auto to = ctx.existing<int>(manual_id(ids[y]));
          auto f = from.get_versioned();
          auto t = to.get_versioned();
          if (rng() % 2 == 0) // a wider window between read and write: more collisions
            std::this_thread::sleep_for(1ms);
          auto out = ctx.commit(txn{}
                                    .if_version(from, f.version)
                                    .if_version(to, t.version)
                                    .set(from, f.value - amount)
                                    .set(to, t.value + amount));
          (out.committed ? committed : conflicts)++;
          if (out.committed) {
            std::lock_guard guard{problems_mutex};
            ledger[x] -= amount;
            ledger[y] += amount;
          }
        } catch (const error_exception& e) {
          std::lock_guard guard{problems_mutex};
          problems.push_back("node " + std::to_string(n) + ": " + e.error().to_string());
          return;
        }
      }
    });
  for (auto& t : tellers)
    t.join();
  BOOST_TEST(problems.empty(), "seed " << seed << ": " << (problems.empty() ? "" : problems[0]));
  int total = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto balance = node(1).existing<int>(manual_id(ids[i])).get();
    BOOST_TEST(balance == ledger[i], "seed " << seed << ": " << ids[i] << " holds " << balance
                                             << ", the committed transfers make " << ledger[i]);
    total += balance;
  }
  BOOST_TEST(total == accounts * start,
             "seed " << seed << ": total " << total << " after " << committed << " transfers");
  BOOST_TEST(committed > 0);
  BOOST_TEST_MESSAGE("transfers: " << committed << " committed, " << conflicts
                                   << " refused by a compare");
}

BOOST_AUTO_TEST_SUITE_END()
