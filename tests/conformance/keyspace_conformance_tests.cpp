// The keyspace on every backend: removals and the other changes as
// watchers see them, make telling created from joined, and paged listing
// by prefix (also while others write).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "paged_listing.hpp"
#include "seen_changes.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

using test::seen_changes;

using listing = test::full_listing;

listing list_all(context& ctx, const std::string& prefix, std::uint64_t limit) {
  return test::list_pages([&](const std::string& after) { return ctx.list(prefix, after, limit); },
                          prefix, limit);
}

std::vector<std::string> ids_of(const listing& l) {
  std::vector<std::string> out;
  for (const auto& x : l.ids)
    out.push_back(x.id);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(keyspace_conformance)

BOOST_FIXTURE_TEST_CASE(watchers_see_writes_removals_recreation_and_metadata, cluster) {
  auto id = manual_id("ks/watched");
  auto r = node(0).make<int>(1, id);
  seen_changes here, there;
  auto watch_here = r.on_change([&](const change<int>& c) { here.add(c); });
  auto watch_there =
      node(1).existing<int>(id).on_change([&](const change<int>& c) { there.add(c); });
  auto written = r.set(2);
  BOOST_TEST(r.remove());
  BOOST_TEST((r.try_get().error().code == errc::not_found));
  BOOST_TEST((node(2).existing<int>(id).try_get().error().code == errc::not_found));
  BOOST_TEST(!r.remove()); // nothing left: false, not an error
  auto again = node(2).make_or_join<int>(3, id);
  BOOST_TEST(again.created);
  BOOST_TEST(again.version > written); // versions never go back, not even for a new value
  auto meta = again.handle.set_metadata({{"owner", "ops"}});
  for (auto* seen : {&here, &there}) {
    BOOST_TEST_REQUIRE(test::wait_until([&] { return seen->size() >= 4; }));
    auto all = seen->copy();
    BOOST_TEST_REQUIRE(all.size() == 4u);
    BOOST_TEST((all[0].kind == change_kind::written));
    BOOST_TEST(all[0].old_value.value_or(0) == 1);
    BOOST_TEST(all[0].new_value.value_or(0) == 2);
    BOOST_TEST(all[0].new_version == written);
    BOOST_TEST((all[1].kind == change_kind::removed));
    BOOST_TEST(all[1].old_value.value_or(0) == 2); // the removed value
    BOOST_TEST(!all[1].new_value.has_value());
    BOOST_TEST(all[1].old_version == written);
    BOOST_TEST(all[1].new_version > written);
    BOOST_TEST((all[2].kind == change_kind::created));
    BOOST_TEST(all[2].new_value.value_or(0) == 3);
    BOOST_TEST(all[2].new_version == again.version);
    BOOST_TEST(all[2].new_version > all[1].new_version);
    BOOST_TEST((all[3].kind == change_kind::metadata));
    BOOST_TEST(all[3].new_value.value_or(0) == 3);
    BOOST_TEST(all[3].new_version == meta);
  }
}

BOOST_FIXTURE_TEST_CASE(the_two_argument_on_change_still_sees_writes_only, cluster) {
  auto r = node(0).make<int>(1, manual_id("ks/writes-only"));
  std::atomic<int> calls{0};
  std::atomic<int> last{0};
  auto watch = node(1).existing<int>(manual_id("ks/writes-only")).on_change([&](int, int now) {
    last = now;
    ++calls;
  });
  r.remove();
  (void)node(0).make<int>(5, manual_id("ks/writes-only"));
  r.set(6);
  BOOST_TEST_REQUIRE(test::wait_until([&] { return last == 6; }));
  BOOST_TEST(calls == 1);
}

BOOST_FIXTURE_TEST_CASE(make_says_whether_it_created_or_joined, cluster) {
  auto id = manual_id("ks/made");
  auto first = node(0).make_or_join<int>(1, id);
  BOOST_TEST(first.created);
  auto second = node(1).make_or_join<int>(2, id);
  BOOST_TEST(!second.created);
  BOOST_TEST(second.version == first.version);
  BOOST_TEST(second.handle.get() == 1);

  std::atomic<int> outcome{0}; // bit 1: created first, bit 2: joined second
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      auto& ctx = node(2);
      ctx.make_or_join<int>(self, 7, manual_id("ks/made-from-an-actor"))
          .then(
              [&, self, finish](made<int> one) {
                outcome |= one.created ? 1 : 0;
                ctx.make_or_join<int>(self, 8, manual_id("ks/made-from-an-actor"))
                    .then(
                        [&, finish, first_version = one.version](made<int> two) {
                          outcome |= !two.created && two.version == first_version ? 2 : 0;
                          outcome |= 4;
                          finish();
                        },
                        test::fail_into(outcome, finish));
              },
              test::fail_into(outcome, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return outcome >= 4 || outcome < 0; }));
  }
  BOOST_TEST(outcome == 7);
  BOOST_TEST(node(0).existing<int>(manual_id("ks/made-from-an-actor")).get() == 7);
}

BOOST_FIXTURE_TEST_CASE(list_pages_ids_under_a_prefix, cluster) {
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    auto id = "ks/ls/" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    node(static_cast<std::size_t>(i) % 3).make<int>(i, manual_id(id));
    expected.push_back(id);
  }
  (void)node(0).make<int>(0, manual_id("ks/lt")); // beside the prefix
  auto all = list_all(node(1), "ks/ls/", 10);
  BOOST_TEST(ids_of(all) == expected, boost::test_tools::per_element());
  BOOST_TEST(all.revisions.size() == 3u);
  for (auto revision : all.revisions)
    BOOST_TEST(revision == all.revisions.front()); // nothing changed between the pages
  BOOST_TEST(all.ids[3].version ==
             node(2).existing<int>(manual_id(expected[3])).get_versioned().version);

  // Linearizable like get: an acknowledged write shows on any node at once.
  auto written = node(2).existing<int>(manual_id("ks/ls/99")).set(99);
  auto after_write = node(0).list("ks/ls/", "ks/ls/24", 0);
  BOOST_TEST_REQUIRE(after_write.ids.size() == 1u);
  BOOST_TEST(after_write.ids[0].id == "ks/ls/99");
  BOOST_TEST(after_write.revision >= written);
  BOOST_TEST(after_write.revision > all.revisions.front());

  // A removed id is no longer listed.
  node(1).existing<int>(manual_id("ks/ls/05")).remove();
  auto without = ids_of(list_all(node(2), "ks/ls/", 1000));
  BOOST_TEST((std::find(without.begin(), without.end(), "ks/ls/05") == without.end()));
  BOOST_TEST(without.size() == 25u);

  // dref's own records are never listed, and a page is bounded.
  for (const auto& id : ids_of(list_all(node(0), "", 1000)))
    BOOST_TEST(!id.starts_with("dref/"));
  auto refused = node(0).try_list("dref/");
  BOOST_TEST_REQUIRE(!refused);
  BOOST_TEST((refused.error().code == errc::invalid_argument));
  auto too_many = node(0).try_list("ks/", "", 1001);
  BOOST_TEST_REQUIRE(!too_many);
  BOOST_TEST((too_many.error().code == errc::limit_exceeded));
  BOOST_TEST(too_many.error().message.find("1000") != std::string::npos);

  // From an actor.
  std::atomic<int> listed{0};
  {
    test::actor_stopper stopper;
    stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
      node(1)
          .list(self, "ks/ls/", "", 0)
          .then(
              [&, finish](protocol::list_page page) {
                listed = static_cast<int>(page.ids.size());
                finish();
              },
              test::fail_into(listed, finish));
    }));
    BOOST_TEST_REQUIRE(test::wait_until([&] { return listed != 0; }));
  }
  BOOST_TEST(listed == 25);
}

// One node writes, creates and removes under the prefix while another pages
// through it: every listing holds each steady id exactly once, in order,
// pages never go back in revision, and once the writer stops a listing is
// one snapshot that equals what is stored.
BOOST_FIXTURE_TEST_CASE(paged_listing_stays_consistent_under_concurrent_writes, cluster) {
  std::vector<std::string> steady;
  for (int i = 0; i < 20; ++i) {
    steady.push_back("ks/cc/s" + std::string(i < 10 ? "0" : "") + std::to_string(i));
    node(0).make<int>(i, manual_id(steady.back()));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    auto& ctx = node(1);
    for (int n = 0; !stop; ++n) {
      try {
        auto churn = ctx.existing<int>(manual_id("ks/cc/c" + std::to_string(n % 7)));
        if (n % 2 == 0)
          churn.set(n);
        else
          churn.remove();
        ctx.existing<int>(manual_id(steady[static_cast<std::size_t>(n) % steady.size()])).set(n);
        ++writes;
      } catch (const error_exception& e) {
        BOOST_ERROR("writer: " << e.error().to_string());
        return;
      }
    }
  });
  for (int round = 0; round < 5; ++round) {
    auto l = list_all(node(2), "ks/cc/", 4);
    for (std::size_t i = 1; i < l.revisions.size(); ++i)
      BOOST_TEST(l.revisions[i - 1] <= l.revisions[i]);
    std::vector<std::string> steady_seen;
    for (const auto& x : l.ids)
      if (x.id.starts_with("ks/cc/s"))
        steady_seen.push_back(x.id);
    BOOST_TEST(steady_seen == steady, boost::test_tools::per_element());
  }
  BOOST_TEST_REQUIRE(test::wait_until([&] { return writes >= 20; }));
  stop = true;
  writer.join();
  auto settled = list_all(node(0), "ks/cc/", 3);
  for (auto revision : settled.revisions)
    BOOST_TEST(revision == settled.revisions.front());
  for (const auto& x : settled.ids)
    BOOST_TEST(node(2).existing<int>(manual_id(x.id)).get_versioned().version == x.version);
  std::size_t churn_present = 0;
  for (int c = 0; c < 7; ++c)
    if (node(2).existing<int>(manual_id("ks/cc/c" + std::to_string(c))).try_get())
      ++churn_present;
  BOOST_TEST(settled.ids.size() == steady.size() + churn_present);
}

BOOST_AUTO_TEST_SUITE_END()
