// A prefix watch's events as its watcher sees them (prefix_changes.hpp):
// ids outside the prefix, dref's own records and other kinds left out, each
// id's changes once and in version order, and a catch-up reporting only what
// moved and what is gone.
#include "prefix_changes.hpp"

#include <boost/test/unit_test.hpp>

using dref::change_kind;
using dref::detail::prefix_changes;
using dref::protocol::event_kind;
using dref::protocol::payload_kind;
using dref::protocol::store_event;

namespace {

store_event event(event_kind kind, std::string id, std::uint64_t version, std::string payload = {},
                  std::optional<std::string> old_value = std::nullopt) {
  store_event e;
  e.kind = kind;
  e.id = std::move(id);
  e.new_version = version;
  e.payload_type = payload.empty() ? payload_kind::none : payload_kind::full;
  e.payload = std::move(payload);
  e.old_value = std::move(old_value);
  return e;
}

store_event catch_up_end(std::string key, std::uint64_t version, std::string present) {
  auto e = event(event_kind::value_caught_up, std::move(key), version, std::move(present));
  return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(prefix_changes_part)

BOOST_AUTO_TEST_CASE(only_values_under_the_prefix_are_reported) {
  prefix_changes view{"ks/*"};
  BOOST_TEST(view.on(event(event_kind::value_created, "ks/a", 1, "x")).size() == 1u);
  BOOST_TEST(view.on(event(event_kind::value_created, "other", 2, "x")).empty());
  BOOST_TEST(view.on(event(event_kind::value_created, "ks", 3, "x")).empty());
  BOOST_TEST(view.on(event(event_kind::lock_granted, "ks/lock", 4)).empty());
  prefix_changes everything{"*"};
  BOOST_TEST(everything.on(event(event_kind::value_created, "dref/members/n1", 5, "x")).empty());
  auto written = view.on(event(event_kind::value_written, "ks/a", 6, "y", "x"));
  BOOST_REQUIRE(written.size() == 1u);
  BOOST_TEST(written[0].first == "ks/a");
  BOOST_TEST((written[0].second.kind == change_kind::written));
  BOOST_TEST(*written[0].second.old_bytes == "x");
  BOOST_TEST(*written[0].second.new_bytes == "y");
}

BOOST_AUTO_TEST_CASE(a_change_the_watcher_has_is_not_reported_again) {
  prefix_changes view{"ks/*"};
  BOOST_TEST(view.on(event(event_kind::value_created, "ks/a", 5, "x")).size() == 1u);
  BOOST_TEST(view.on(event(event_kind::value_created, "ks/a", 5, "x")).empty());
  BOOST_TEST(view.on(event(event_kind::value_written, "ks/a", 4, "w", "v")).empty());
  // A catch-up at the version it has: nothing new.
  BOOST_TEST(view.on(event(event_kind::value_caught_up, "ks/a", 5, "x")).empty());
  auto moved = view.on(event(event_kind::value_caught_up, "ks/a", 9, "z"));
  BOOST_REQUIRE(moved.size() == 1u);
  BOOST_TEST((moved[0].second.kind == change_kind::caught_up));
  BOOST_TEST(*moved[0].second.new_bytes == "z");
}

BOOST_AUTO_TEST_CASE(the_end_of_a_catch_up_reports_the_ids_gone_once) {
  prefix_changes view{"ks/*"};
  (void)view.on(event(event_kind::value_created, "ks/a", 1, "x"));
  (void)view.on(event(event_kind::value_created, "ks/b", 2, "x"));
  (void)view.on(event(event_kind::value_created, "ks/c", 3, "x"));
  (void)view.on(event(event_kind::value_removed, "ks/c", 4, {}, "x"));
  // ks/b is gone, ks/a stayed, ks/c was known as removed already.
  auto gone = view.on(catch_up_end("ks/*", 10, "ks/a\n"));
  BOOST_REQUIRE(gone.size() == 1u);
  BOOST_TEST(gone[0].first == "ks/b");
  BOOST_TEST((gone[0].second.kind == change_kind::removed));
  BOOST_TEST(gone[0].second.new_version == 10u);
  // The removal itself arriving later is not reported again...
  BOOST_TEST(view.on(event(event_kind::value_removed, "ks/b", 11, {}, "x")).empty());
  // ... but the id coming back is.
  BOOST_TEST(view.on(event(event_kind::value_created, "ks/b", 12, "y")).size() == 1u);
  // Another prefix's end says nothing here.
  BOOST_TEST(view.on(catch_up_end("other/*", 20, "")).empty());
}

BOOST_AUTO_TEST_SUITE_END()
