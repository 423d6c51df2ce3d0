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
  ok<res_txn>(cmd_txn{{}, {txn_write{"in-txn", true, {}}}});
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
