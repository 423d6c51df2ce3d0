// Values owned by a session (cmd_set_owned): removed with their events when
// the session closes or expires; ordinary writes keep the owner; a removal
// or another session's set_owned ends it; snapshots keep it.

#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {

bool has(store_fixture& f, const std::string& id) {
  return f.s.get(id).has_value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(owned_values)

BOOST_FIXTURE_TEST_CASE(an_owned_value_goes_when_its_session_expires, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 1'000});
  auto set = run(cmd_set_owned{"v", "1", "a", false});
  BOOST_TEST_REQUIRE(!set.reply.error);
  BOOST_TEST(std::get<res_created>(set.reply.value).created);
  BOOST_TEST_REQUIRE(set.events.size() == 1u);
  BOOST_TEST((set.events[0].kind == event_kind::value_created));
  BOOST_TEST(set.events[0].session == "a");
  BOOST_TEST(s.get("v").value().owner == "a");
  auto revision = s.state().values_revision;
  now += 2'000;
  auto expired = run(cmd_expire_due{});
  BOOST_TEST(!has(*this, "v"));
  bool removal_seen = false;
  for (const auto& e : expired.events)
    if (e.kind == event_kind::value_removed && e.id == "v") {
      removal_seen = true;
      BOOST_TEST(e.old_value.value_or("") == "1");
      BOOST_TEST(e.session == "a");
    }
  BOOST_TEST(removal_seen);
  BOOST_TEST(s.state().values_revision > revision); // a listing sees it changed
}

BOOST_FIXTURE_TEST_CASE(a_closed_session_takes_only_what_it_still_owns, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 60'000});
  ok<res_session>(cmd_session_open{"b", 60'000});
  ok<res_created>(cmd_set_owned{"kept", "1", "a", false});
  ok<res_written>(cmd_set{"kept", "2"}); // a write keeps the owner
  ok<res_written>(cmd_cas{"kept", index, "3"});
  ok<res_created>(cmd_set_owned{"remade", "1", "a", false});
  ok<res_removed>(cmd_remove{"remade"});
  ok<res_written>(cmd_set{"remade", "5"});
  ok<res_created>(cmd_set_owned{"taken", "1", "a", false});
  ok<res_created>(cmd_set_owned{"taken", "2", "b", false});
  ok<res_created>(cmd_set_owned{"in-txn", "1", "a", false});
  ok<res_txn>(cmd_txn{{}, {txn_write{"in-txn", true, {}, {}}}});
  ok<res_written>(cmd_set{"in-txn", "6"});
  BOOST_TEST((s.state().sessions.at("a").owns == std::set<std::string>{"kept"}));
  ok<res_done>(cmd_session_close{"a"});
  BOOST_TEST(!has(*this, "kept"));
  BOOST_TEST(value("remade") == "5");
  BOOST_TEST(value("taken") == "2");
  BOOST_TEST(s.get("taken").value().owner == "b");
  BOOST_TEST(value("in-txn") == "6");
  BOOST_TEST(s.get("in-txn").value().owner.empty());
}

BOOST_FIXTURE_TEST_CASE(if_absent_joins_what_exists_without_taking_it, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 60'000});
  ok<res_written>(cmd_set{"v", "1"});
  auto joined = run(cmd_set_owned{"v", "2", "a", true});
  BOOST_TEST_REQUIRE(!joined.reply.error);
  auto created = std::get<res_created>(joined.reply.value);
  BOOST_TEST(!created.created);
  BOOST_TEST(created.value == "1");
  BOOST_TEST(joined.events.empty());
  BOOST_TEST(s.get("v").value().owner.empty());
}

BOOST_FIXTURE_TEST_CASE(refusals_change_nothing, store_fixture) {
  fails(cmd_set_owned{"v", "1", "nobody", false}, errc::unknown_session);
  ok<res_session>(cmd_session_open{"a", 60'000});
  fails(cmd_set_owned{"dref/members/x", "1", "a", false}, errc::invalid_argument);
  fails(cmd_set_owned{"", "1", "a", false}, errc::invalid_id);
}

BOOST_FIXTURE_TEST_CASE(a_txn_writes_owned_values_with_the_others, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 1'000});
  ok<res_session>(cmd_session_open{"b", 60'000});
  ok<res_created>(cmd_set_owned{"taken", "1", "b", false});
  auto done = run(cmd_txn{{{"free", 0}},
                          {txn_write{"mine", false, "m", "a"}, txn_write{"free", false, "f", {}},
                           txn_write{"taken", false, "t", "a"}}});
  BOOST_TEST_REQUIRE(!done.reply.error);
  BOOST_TEST(std::get<res_txn>(done.reply.value).committed);
  BOOST_TEST_REQUIRE(done.events.size() == 3u);
  BOOST_TEST(done.events[0].session == "a"); // named in the event, as set_owned's
  BOOST_TEST(done.events[1].session.empty());
  BOOST_TEST(s.get("mine").value().owner == "a");
  BOOST_TEST(s.get("free").value().owner.empty());
  BOOST_TEST(s.get("taken").value().owner == "a"); // taken over, as set_owned does
  BOOST_TEST((s.state().sessions.at("a").owns == std::set<std::string>{"mine", "taken"}));
  BOOST_TEST(s.state().sessions.at("b").owns.empty());
  now += 2'000;
  run(cmd_expire_due{});
  BOOST_TEST(!has(*this, "mine"));
  BOOST_TEST(!has(*this, "taken"));
  BOOST_TEST(value("free") == "f");
}

BOOST_FIXTURE_TEST_CASE(a_txn_naming_a_closed_session_changes_nothing, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 60'000});
  ok<res_done>(cmd_session_close{"a"});
  auto before = s.state();
  auto refused =
      run(cmd_txn{{}, {txn_write{"free", false, "f", {}}, txn_write{"mine", false, "m", "a"}}});
  BOOST_TEST_REQUIRE(refused.reply.error.has_value());
  BOOST_TEST((refused.reply.error->code == errc::unknown_session));
  BOOST_TEST(refused.events.empty());
  BOOST_TEST((s.state().values == before.values));
  // A failed compare answers first: the session is not looked at.
  auto compared = run(cmd_txn{{{"free", 7}}, {txn_write{"mine", false, "m", "a"}}});
  BOOST_TEST_REQUIRE(!compared.reply.error);
  BOOST_TEST(!std::get<res_txn>(compared.reply.value).committed);
  ok<res_session>(cmd_session_open{"b", 60'000});
  fails(cmd_txn{{}, {txn_write{"gone", true, {}, "b"}}}, errc::invalid_argument);
  fails(cmd_txn{{}, {txn_write{"v", false, "1", "bad session!"}}}, errc::invalid_id);
}

BOOST_FIXTURE_TEST_CASE(a_snapshot_keeps_the_owners, store_fixture) {
  ok<res_session>(cmd_session_open{"a", 1'000});
  ok<res_created>(cmd_set_owned{"v", "1", "a", false});
  auto restored = store::store::restore(s.snapshot());
  BOOST_TEST_REQUIRE(restored.has_value());
  BOOST_TEST((*restored == s));
  now += 2'000;
  auto expired = restored->apply(++index, protocol::store_proposal{0, 0, 0, now, cmd_expire_due{}});
  BOOST_TEST(!restored->get("v").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
