// The keyspace: removal as a change of its own, created vs joined, and
// paged prefix listing (store::store::list has the contract).

#include "dref/store/input_checks.hpp"
#include "paged_listing.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {

test::full_listing list_all(const store::store& s, const std::string& prefix, std::uint64_t limit) {
  return test::list_pages(
      [&](const std::string& after) { return s.list(prefix, after, limit).value(); }, prefix,
      limit);
}

} // namespace

BOOST_AUTO_TEST_SUITE(keyspace)

BOOST_FIXTURE_TEST_CASE(removal_is_an_event_with_the_old_value, store_fixture) {
  auto created = ok<res_created>(cmd_create_if_absent{"a", "one", {}});
  auto out = run(cmd_remove{"a"});
  BOOST_TEST_REQUIRE(!out.reply.error);
  BOOST_TEST((std::get<res_removed>(out.reply.value) == res_removed{true, created.version}));
  BOOST_TEST_REQUIRE(out.events.size() == 1u);
  const auto& e = out.events.front();
  BOOST_TEST((e.kind == event_kind::value_removed));
  BOOST_TEST(e.old_version == created.version);
  BOOST_TEST(e.new_version == index);
  BOOST_TEST(e.old_value.value_or("") == "one");
  BOOST_TEST((s.get("a").error().code == errc::not_found));
  // A second removal finds nothing and says so, with no event.
  auto again = run(cmd_remove{"a"});
  BOOST_TEST((std::get<res_removed>(again.reply.value) == res_removed{false, 0}));
  BOOST_TEST(again.events.empty());
}

BOOST_FIXTURE_TEST_CASE(a_recreated_id_takes_a_version_above_its_removal, store_fixture) {
  auto first = ok<res_created>(cmd_create_if_absent{"a", "one", {}});
  ok<res_removed>(cmd_remove{"a"});
  auto removed_at = index;
  auto second = ok<res_created>(cmd_create_if_absent{"a", "two", {}});
  BOOST_TEST(second.created);
  BOOST_TEST(second.version > removed_at);
  BOOST_TEST(second.version > first.version);
  BOOST_TEST(s.get("a").value().value == "two");
}

BOOST_FIXTURE_TEST_CASE(create_says_whether_it_created, store_fixture) {
  BOOST_TEST(ok<res_created>(cmd_create_if_absent{"a", "one", {}}).created);
  auto joined = ok<res_created>(cmd_create_if_absent{"a", "two", {}});
  BOOST_TEST(!joined.created);
  BOOST_TEST(joined.value == "one");
}

BOOST_FIXTURE_TEST_CASE(list_pages_ids_under_a_prefix_in_order, store_fixture) {
  for (auto id : {"b/2", "a/1", "b/1", "b/3", "b0", "c", "b/10"})
    ok<res_written>(cmd_set{id, "x"});
  auto page = s.list("b/", "", 2).value();
  BOOST_TEST_REQUIRE(page.ids.size() == 2u);
  BOOST_TEST(page.ids[0].id == "b/1");
  BOOST_TEST(page.ids[1].id == "b/10");
  BOOST_TEST(page.more);
  BOOST_TEST(page.ids[0].version == s.get("b/1").value().version);
  BOOST_TEST(page.revision == index);
  auto next = s.list("b/", page.ids.back().id, 2).value();
  BOOST_TEST_REQUIRE(next.ids.size() == 2u);
  BOOST_TEST(next.ids[0].id == "b/2");
  BOOST_TEST(next.ids[1].id == "b/3");
  BOOST_TEST(!next.more);
  BOOST_TEST(next.revision == page.revision);
  BOOST_TEST(s.list("", "", 0).value().ids.size() == 7u);
  BOOST_TEST(s.list("z", "", 0).value().ids.empty());
}

BOOST_FIXTURE_TEST_CASE(the_revision_moves_with_value_changes_only, store_fixture) {
  ok<res_written>(cmd_set{"a", "x"});
  auto at = s.list("", "", 0).value().revision;
  BOOST_TEST(at == index);
  ok<res_session>(cmd_session_open{"s", 60'000});
  ok<res_published>(cmd_publish{"t", "m"});
  BOOST_TEST(s.list("", "", 0).value().revision == at);
  ok<res_removed>(cmd_remove{"a"});
  BOOST_TEST(s.list("", "", 0).value().revision == index);
  ok<res_written>(cmd_set{"b", "x"});
  ok<res_written>(cmd_set_metadata{"b", {{"k", "v"}}});
  BOOST_TEST(s.list("", "", 0).value().revision == index);
  // A member announcing itself writes dref's own records: not a client change.
  auto before = index;
  ok<res_written>(cmd_member_announce{"m1", "127.0.0.1:4000"});
  BOOST_TEST(s.list("", "", 0).value().revision == before);
}

BOOST_FIXTURE_TEST_CASE(the_reserved_prefix_is_never_listed, store_fixture) {
  ok<res_written>(cmd_set{"app", "x"});
  ok<res_written>(cmd_member_announce{"m1", "127.0.0.1:4000"});
  ok<res_written>(cmd_set{"dref0", "x"});
  ok<res_written>(cmd_set{"drefs", "x"});
  auto all = s.list("", "", 0).value();
  BOOST_TEST_REQUIRE(all.ids.size() == 3u);
  BOOST_TEST(all.ids[0].id == "app");
  BOOST_TEST(all.ids[1].id == "dref0");
  BOOST_TEST(all.ids[2].id == "drefs");
  auto near = s.list("dref", "", 1).value(); // the page limit counts listed ids only
  BOOST_TEST_REQUIRE(near.ids.size() == 1u);
  BOOST_TEST(near.ids[0].id == "dref0");
  BOOST_TEST(near.more);
  auto refused = s.list("dref/", "", 0);
  BOOST_TEST_REQUIRE(!refused);
  BOOST_TEST((refused.error().code == errc::invalid_argument));
  BOOST_TEST(refused.error().message.find("not listed") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_page_is_bounded_and_bad_input_refused, store_fixture) {
  auto too_many = s.list("", "", store::max_list_page + 1);
  BOOST_TEST_REQUIRE(!too_many);
  BOOST_TEST((too_many.error().code == errc::limit_exceeded));
  BOOST_TEST(s.list("", "", store::max_list_page).has_value());
  BOOST_TEST((s.list("bad prefix!", "", 0).error().code == errc::invalid_id));
  BOOST_TEST((s.list("", "bad after!", 0).error().code == errc::invalid_id));
  // The same through the message entry point.
  auto reply = s.read(store_read{read_kind::list, "", 0, store::max_list_page + 1, ""});
  BOOST_TEST_REQUIRE(reply.error.has_value());
  BOOST_TEST((reply.error->code == errc::limit_exceeded));
  for (int i = 0; i < 1200; ++i)
    ok<res_written>(cmd_set{"k" + std::to_string(i), "x"});
  auto page = s.read(store_read{read_kind::list, "k", 0, 0, ""});
  BOOST_TEST_REQUIRE(!page.error);
  BOOST_TEST(std::get<list_page>(page.value).ids.size() == store::max_list_page);
  BOOST_TEST(std::get<list_page>(page.value).more);
}

// Random creates, writes and removals of ids from a small alphabet: every
// paged listing equals the ids of a plain map kept beside the store, and
// survives a snapshot and restore.
BOOST_AUTO_TEST_CASE(paged_listing_matches_a_model) {
  std::mt19937_64 rng{21};
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>{lo, hi}(rng);
  };
  const std::string alphabet = "ab/";
  auto random_id = [&] {
    std::string id;
    auto length = pick(1, 4);
    for (std::uint64_t i = 0; i < length; ++i)
      id += alphabet[pick(0, alphabet.size() - 1)];
    return id;
  };
  store_fixture f;
  std::map<std::string, std::uint64_t> model; // id -> version
  for (int step = 0; step < 3000; ++step) {
    auto id = random_id();
    switch (pick(0, 3)) {
      case 0: {
        auto created = f.ok<res_created>(cmd_create_if_absent{id, "v", {}});
        BOOST_TEST(created.created == (model.count(id) == 0));
        if (created.created)
          model[id] = created.version;
        break;
      }
      case 1:
        model[id] = f.ok<res_written>(cmd_set{id, "w"}).version;
        break;
      default: {
        auto removed = f.ok<res_removed>(cmd_remove{id});
        BOOST_TEST(removed.existed == (model.erase(id) == 1));
        break;
      }
    }
    if (step % 50 != 0)
      continue;
    auto prefix = pick(0, 2) == 0 ? std::string{} : random_id().substr(0, pick(1, 2));
    auto listing = list_all(f.s, prefix, pick(1, 5));
    std::vector<listed_id> expected;
    for (const auto& [mid, version] : model)
      if (mid.starts_with(prefix))
        expected.push_back(listed_id{mid, version});
    BOOST_TEST_CONTEXT("step " << step << " prefix '" << prefix << "'") {
      BOOST_TEST((listing.ids == expected));
      for (auto revision : listing.revisions)
        BOOST_TEST(revision == f.s.state().values_revision);
    }
  }
  auto restored = store::store::restore(f.s.snapshot()).value();
  BOOST_TEST((list_all(restored, "", 3).ids == list_all(f.s, "", 3).ids));
  BOOST_TEST(restored.list("", "", 0).value().revision == f.s.list("", "", 0).value().revision);
}

BOOST_AUTO_TEST_SUITE_END()
