// Prefix watches on every backend (context::watch_prefix has the contract):
// every change of every value under the prefix, from any node, in revision
// order, nothing of ids outside it or of other kinds; a listing after the
// watch plus the changes after the listing's revision is the keyspace,
// also under concurrent writes; bad prefixes refused.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "test_thread.hpp"
#include "wait_until.hpp"

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

struct keyed {
  std::string id;
  change<int> what;
};

// The changes one prefix watcher saw, safe to read from the test thread.
struct seen_keyed {
  std::mutex mutex;
  std::vector<keyed> all;
  void add(const std::string& id, const change<int>& c) {
    std::lock_guard guard{mutex};
    all.push_back({id, c});
  }
  std::vector<keyed> copy() {
    std::lock_guard guard{mutex};
    return all;
  }
};

std::map<std::string, std::uint64_t> versions_listed(context& ctx, const std::string& prefix,
                                                     std::uint64_t* revision = nullptr) {
  auto page = ctx.list(prefix);
  BOOST_REQUIRE(!page.more);
  if (revision != nullptr)
    *revision = page.revision;
  std::map<std::string, std::uint64_t> out;
  for (const auto& x : page.ids)
    out[x.id] = x.version;
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(prefix_watch_conformance)

BOOST_FIXTURE_TEST_CASE(prefix_watchers_see_every_change_under_the_prefix_in_order, cluster) {
  seen_keyed here, there;
  auto watch_here = node(0).watch_prefix<int>(
      "pw/", [&](const std::string& id, const change<int>& c) { here.add(id, c); });
  auto watch_there = node(1).watch_prefix<int>(
      "pw/", [&](const std::string& id, const change<int>& c) { there.add(id, c); });
  auto a = node(2).make<int>(1, manual_id("pw/a"));
  (void)node(0).make<int>(9, manual_id("pw"));      // not under "pw/"
  (void)node(0).make<int>(9, manual_id("other/a")); // nor this
  auto b = node(1).make<int>(2, manual_id("pw/deeper/b"));
  auto written = a.set(3);
  BOOST_TEST(b.remove());
  auto meta = a.set_metadata({{"owner", "ops"}});
  {
    auto held = node(0).lock(manual_id("pw/lock")); // another kind under the prefix
  }
  auto last = node(2).make_or_join<int>(4, manual_id("pw/z"));
  for (auto* seen : {&here, &there}) {
    BOOST_TEST_REQUIRE(test::wait_until([&] {
      auto all = seen->copy();
      return !all.empty() && all.back().id == "pw/z";
    }));
    auto all = seen->copy();
    BOOST_TEST_REQUIRE(all.size() == 6u);
    BOOST_TEST(all[0].id == "pw/a");
    BOOST_TEST((all[0].what.kind == change_kind::created));
    BOOST_TEST(all[0].what.new_value.value_or(0) == 1);
    BOOST_TEST(all[1].id == "pw/deeper/b");
    BOOST_TEST((all[1].what.kind == change_kind::created));
    BOOST_TEST(all[2].id == "pw/a");
    BOOST_TEST((all[2].what.kind == change_kind::written));
    BOOST_TEST(all[2].what.old_value.value_or(0) == 1);
    BOOST_TEST(all[2].what.new_value.value_or(0) == 3);
    BOOST_TEST(all[2].what.new_version == written);
    BOOST_TEST(all[3].id == "pw/deeper/b");
    BOOST_TEST((all[3].what.kind == change_kind::removed));
    BOOST_TEST(all[3].what.old_value.value_or(0) == 2);
    BOOST_TEST(all[4].id == "pw/a");
    BOOST_TEST((all[4].what.kind == change_kind::metadata));
    BOOST_TEST(all[4].what.new_version == meta);
    BOOST_TEST(all[5].id == "pw/z");
    BOOST_TEST(all[5].what.new_version == last.version);
    for (std::size_t i = 1; i < all.size(); ++i)
      BOOST_TEST(all[i].what.new_version > all[i - 1].what.new_version);
  }
  // Cancelled: no more calls.
  watch_here.cancel();
  (void)node(0).make<int>(5, manual_id("pw/after"));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return there.copy().back().id == "pw/after"; }));
  BOOST_TEST(here.copy().size() == 6u);
}

BOOST_FIXTURE_TEST_CASE(bad_prefixes_are_refused_with_a_clear_error, cluster) {
  auto refused = [&](const std::string& prefix) -> std::optional<errc> {
    try {
      auto watch = node(1).watch_prefix<int>(prefix, [](const std::string&, const change<int>&) {});
    } catch (const error_exception& e) {
      BOOST_TEST_MESSAGE("'" << prefix << "': " << e.what());
      return e.error().code;
    }
    return std::nullopt;
  };
  BOOST_TEST((refused("") == errc::invalid_argument));
  BOOST_TEST((refused("dref/") == errc::invalid_argument));
  BOOST_TEST((refused("dref/members/") == errc::invalid_argument));
  BOOST_TEST((refused("a b") == errc::invalid_id));
  BOOST_TEST((refused("a*") == errc::invalid_id));
  BOOST_TEST(!refused("d").has_value()); // covers "d..." ids, never dref's own records
}

// The recipe of the contract: watch, then list; the listing plus every
// change after its revision is the keyspace under the prefix, whatever the
// writers did meanwhile. A missed, repeated or reordered change shows as a
// difference from a fresh listing at the end.
BOOST_FIXTURE_TEST_CASE(a_listing_after_the_watch_plus_later_changes_is_the_keyspace, cluster) {
  auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng{seed};
  constexpr int ids = 8;
  auto id_of = [](int k) { return "pg/k" + std::to_string(k); };
  for (int k = 0; k < ids; k += 2)
    (void)node(0).make<int>(0, manual_id(id_of(k)));
  seen_keyed seen;
  auto watch = node(1).watch_prefix<int>(
      "pg/", [&](const std::string& id, const change<int>& c) { seen.add(id, c); });
  std::vector<std::uint32_t> plan(240);
  for (auto& step : plan)
    step = rng();
  test::test_thread writer{[&] {
    for (std::size_t i = 0; i < plan.size(); ++i) {
      auto& ctx = node(plan[i] % 3);
      auto id = manual_id(id_of(static_cast<int>((plan[i] >> 4) % ids)));
      if ((plan[i] >> 8) % 4 == 0)
        (void)ctx.existing<int>(id).remove();
      else
        (void)ctx.make_or_join<int>(static_cast<int>(i), id).handle.set(static_cast<int>(i));
    }
  }};
  std::this_thread::sleep_for(20ms); // some writes before the listing, some after
  std::uint64_t revision = 0;
  auto view = versions_listed(node(2), "pg/", &revision);
  writer.join();
  auto expected = versions_listed(node(0), "pg/");
  auto apply = [&](std::map<std::string, std::uint64_t> start) {
    for (const auto& [id, c] : seen.copy()) {
      if (c.new_version <= revision)
        continue;
      if (c.kind == change_kind::removed)
        start.erase(id);
      else
        start[id] = c.new_version;
    }
    return start;
  };
  bool same = test::wait_until([&] { return apply(view) == expected; }, 20s);
  BOOST_TEST(same, "seed " << seed << ": the listing at " << revision
                           << " plus the changes after it is not the keyspace");
  auto all = seen.copy();
  for (std::size_t i = 1; i < all.size(); ++i)
    BOOST_TEST_REQUIRE(all[i].what.new_version >= all[i - 1].what.new_version,
                       "seed " << seed << ": change " << i << " goes back");
}

// From an actor: the watch is in place when the pending answer arrives.
BOOST_FIXTURE_TEST_CASE(an_actor_watches_a_prefix, cluster) {
  seen_keyed seen;
  std::atomic<int> outcome{0};
  auto& ctx = node(1);
  std::shared_ptr<subscription> watch = std::make_shared<subscription>();
  test::actor_stopper stop;
  stop.add(test::spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()>) {
    ctx.watch_prefix<int>(self, "pa/",
                          [&](const std::string& id, const change<int>& c) { seen.add(id, c); })
        .then(
            [&, watch](subscription s) {
              *watch = std::move(s);
              outcome = 1;
            },
            [&](const error& e) {
              BOOST_ERROR("unexpected: " << e.to_string());
              outcome = -1;
            });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }));
  BOOST_TEST_REQUIRE(outcome == 1);
  (void)node(0).make<int>(7, manual_id("pa/x"));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return seen.copy().size() == 1u; }));
  BOOST_TEST(seen.copy()[0].id == "pa/x");
  BOOST_TEST(seen.copy()[0].what.new_value.value_or(0) == 7);
  // A bad prefix is an error answer, not a throw.
  outcome = 0;
  stop.add(test::spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()>) {
    ctx.watch_prefix<int>(self, "", [](const std::string&, const change<int>&) {})
        .then([&](subscription) { outcome = 1; },
              [&](const error& e) { outcome = e.code == errc::invalid_argument ? 2 : -1; });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome != 0; }));
  BOOST_TEST(outcome == 2);
  watch->cancel();
}

BOOST_AUTO_TEST_SUITE_END()
