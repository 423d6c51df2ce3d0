// Transactions (cmd_txn): every compare, then every write at one revision;
// a failed compare answers which and changes nothing; bad input is refused
// before anything is looked at.

#include "dref/store/input_checks.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {

txn_write set_of(std::string id, std::string value) {
  return {std::move(id), false, std::move(value), {}};
}
txn_write removal_of(std::string id) {
  return {std::move(id), true, {}, {}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(txn)

BOOST_FIXTURE_TEST_CASE(writes_commit_together_at_the_txn_revision, store_fixture) {
  auto a = ok<res_created>(cmd_create_if_absent{"a", "1", {}});
  auto gone = ok<res_created>(cmd_create_if_absent{"gone", "x", {}});
  auto out =
      run(cmd_txn{{{"a", a.version}, {"b", 0}},
                  {set_of("a", "2"), set_of("b", "new"), removal_of("gone"), removal_of("never")}});
  BOOST_TEST_REQUIRE(!out.reply.error);
  BOOST_TEST((std::get<res_txn>(out.reply.value) == res_txn{true, index, 0, 0}));
  BOOST_TEST(value("a") == "2");
  BOOST_TEST(value("b") == "new");
  BOOST_TEST((s.get("gone").error().code == errc::not_found));
  for (const char* id : {"a", "b"})
    BOOST_TEST(s.get(id).value().version == index);
  // One event per change, in write order, each as the write alone shows
  // it; the absent id's removal is no change.
  BOOST_TEST_REQUIRE(out.events.size() == 3u);
  BOOST_TEST((out.events[0].kind == event_kind::value_written));
  BOOST_TEST(out.events[0].old_version == a.version);
  BOOST_TEST(out.events[0].old_value.value_or("") == "1");
  BOOST_TEST((out.events[1].kind == event_kind::value_created));
  BOOST_TEST(out.events[1].payload == "new");
  BOOST_TEST((out.events[2].kind == event_kind::value_removed));
  BOOST_TEST(out.events[2].old_version == gone.version);
  for (const auto& e : out.events)
    BOOST_TEST(e.new_version == index);
  BOOST_TEST(s.state().values_revision == index);
}

BOOST_FIXTURE_TEST_CASE(a_failed_compare_names_itself_and_changes_nothing, store_fixture) {
  auto a = ok<res_created>(cmd_create_if_absent{"a", "1", {}});
  auto b = ok<res_created>(cmd_create_if_absent{"b", "1", {}});
  ok<res_written>(cmd_set{"b", "2"}); // b moved on
  auto before = s.state();
  auto out = run(cmd_txn{{{"a", a.version}, {"b", b.version}, {"c", 0}},
                         {set_of("a", "x"), set_of("c", "y")}});
  BOOST_TEST_REQUIRE(!out.reply.error);
  BOOST_TEST((std::get<res_txn>(out.reply.value) == res_txn{false, 0, 1, index - 1}));
  BOOST_TEST(out.events.empty());
  auto after = s.state();
  before.applied = after.applied;
  BOOST_TEST((before == after));
  // absent expected, present found; present expected, absent found
  auto present = run(cmd_txn{{{"a", 0}}, {set_of("c", "y")}});
  BOOST_TEST((std::get<res_txn>(present.reply.value) == res_txn{false, 0, 0, a.version}));
  auto missing = run(cmd_txn{{{"c", 7}}, {set_of("c", "y")}});
  BOOST_TEST((std::get<res_txn>(missing.reply.value) == res_txn{false, 0, 0, 0}));
  BOOST_TEST((s.get("c").error().code == errc::not_found));
}

BOOST_FIXTURE_TEST_CASE(compares_alone_and_writes_alone, store_fixture) {
  auto a = ok<res_created>(cmd_create_if_absent{"a", "1", {}});
  auto check = run(cmd_txn{{{"a", a.version}}, {}});
  BOOST_TEST(std::get<res_txn>(check.reply.value).committed);
  BOOST_TEST(check.events.empty());
  auto blind = run(cmd_txn{{}, {set_of("a", "2"), set_of("z", "3")}});
  BOOST_TEST(std::get<res_txn>(blind.reply.value).committed);
  BOOST_TEST(blind.events.size() == 2u);
  // Compares may read dref's own records; writes may not touch them.
  BOOST_TEST(std::get<res_txn>(run(cmd_txn{{{"dref/members/x", 0}}, {}}).reply.value).committed);
}

BOOST_FIXTURE_TEST_CASE(bad_transactions_are_refused_whole, store_fixture) {
  ok<res_created>(cmd_create_if_absent{"a", "1", {}});
  fails(cmd_txn{{}, {set_of("a", "2"), removal_of("a")}}, errc::invalid_argument);
  fails(cmd_txn{{}, {set_of("b", "2"), set_of("dref/members/x", "h:1")}}, errc::invalid_argument);
  fails(cmd_txn{{{"bad id!", 0}}, {set_of("b", "2")}}, errc::invalid_id);
  fails(cmd_txn{{}, {set_of("b", "2"), set_of("bad id!", "2")}}, errc::invalid_id);
  fails(cmd_txn{{}, {txn_write{"a", true, "stray", {}}}}, errc::invalid_argument);
  std::vector<txn_write> many;
  for (std::size_t i = 0; i <= store::max_txn_ops; ++i)
    many.push_back(set_of("k" + std::to_string(i), "v"));
  fails(cmd_txn{{}, many}, errc::limit_exceeded);
  many.pop_back();
  BOOST_TEST(std::get<res_txn>(run(cmd_txn{{}, many}).reply.value).committed);
  std::vector<txn_compare> compares(store::max_txn_ops + 1, txn_compare{"a", 0});
  fails(cmd_txn{compares, {}}, errc::limit_exceeded);
  // Each value fits, all of them together do not.
  std::string half(s.configured_limits().max_value_bytes / 2 + 1, 'x');
  fails(cmd_txn{{}, {set_of("p", half), set_of("q", half)}}, errc::value_too_large);
  fails(cmd_txn{{}, {set_of("p", half + half)}}, errc::value_too_large);
}

BOOST_AUTO_TEST_CASE(a_retried_txn_is_answered_once) {
  store::store s;
  auto proposal = [](std::uint64_t seq, cmd_txn cmd) {
    return store_proposal{7, seq, 0, 1000, store_command{std::move(cmd)}};
  };
  cmd_txn create_once{{{"a", 0}}, {set_of("a", "first")}};
  auto first = s.apply(1, proposal(1, create_once));
  auto again = s.apply(2, proposal(1, create_once));
  BOOST_TEST(again.duplicate);
  BOOST_TEST((again.reply == first.reply));
  BOOST_TEST(std::get<res_txn>(again.reply.value).committed);
  BOOST_TEST(again.events.empty());
  // Under a new sequence the same txn runs again, and its compare fails.
  auto next = s.apply(3, proposal(2, create_once));
  BOOST_TEST(!std::get<res_txn>(next.reply.value).committed);
}

BOOST_AUTO_TEST_SUITE_END()
