// admin_waits: membership changes answered when their index is applied (or
// refused when another entry took it), the leadership transfer answered when
// its target leads, each expired at its deadline; requests parked while no
// leader is known handed back in order, or refused at their deadline.
#include "admin_waits.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

using dref::errc;
using dref::raft::node::admin_waits;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

} // namespace

BOOST_AUTO_TEST_SUITE(admin_waits_suite)

BOOST_AUTO_TEST_CASE(a_membership_change_is_answered_when_its_entry_is_applied) {
  admin_waits<std::string> admin;
  admin.wait_for_change(5, "change", t0 + 1s);
  BOOST_TEST(!admin.applied(4, true).has_value());
  auto answer = admin.applied(5, true);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->first == "change");
  BOOST_TEST(!answer->second.error.has_value());
  BOOST_TEST(!admin.applied(5, true).has_value()); // answered once
  BOOST_TEST(admin.changes_waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(a_membership_change_whose_index_another_entry_took_did_not_happen) {
  admin_waits<std::string> admin;
  admin.wait_for_change(5, "change", t0 + 1s);
  auto answer = admin.applied(5, false);
  BOOST_REQUIRE(answer.has_value());
  BOOST_REQUIRE(answer->second.error.has_value());
  BOOST_TEST((answer->second.error->code == errc::unavailable));
  BOOST_TEST(answer->second.error->message.find("did not happen") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_leadership_transfer_is_answered_once_its_target_leads) {
  admin_waits<std::string> admin;
  BOOST_TEST(!admin.transferring());
  admin.wait_for_transfer(2, "transfer", t0 + 1s);
  BOOST_TEST(admin.transferring());
  BOOST_TEST(!admin.leader_is(1).has_value());
  auto answer = admin.leader_is(2);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->first == "transfer");
  BOOST_TEST(!answer->second.error.has_value());
  BOOST_TEST(!admin.transferring());
}

BOOST_AUTO_TEST_CASE(admin_requests_expire_at_their_deadline) {
  admin_waits<std::string> admin;
  admin.wait_for_change(5, "soon", t0 + 10ms);
  admin.wait_for_change(6, "later", t0 + 20ms);
  admin.wait_for_transfer(2, "transfer", t0 + 10ms);
  auto none = admin.take_expired(t0 + 9ms);
  BOOST_TEST(none.answers.empty());
  BOOST_TEST(!none.transfer_expired);

  auto expired = admin.take_expired(t0 + 10ms);
  BOOST_REQUIRE(expired.answers.size() == 2u);
  BOOST_TEST(expired.answers[0].first == "soon");
  BOOST_TEST((expired.answers[0].second.error->code == errc::timeout));
  BOOST_TEST(expired.answers[1].first == "transfer");
  BOOST_TEST((expired.answers[1].second.error->code == errc::timeout));
  BOOST_TEST(expired.transfer_expired); // the caller cancels it in the core
  BOOST_TEST(!admin.transferring());
  BOOST_TEST(!admin.applied(5, true).has_value()); // answered already

  auto last = admin.take_expired(t0 + 20ms);
  BOOST_REQUIRE(last.answers.size() == 1u);
  BOOST_TEST(last.answers[0].first == "later");
  BOOST_TEST(!last.transfer_expired);
}

BOOST_AUTO_TEST_CASE(parked_requests_come_back_in_order_or_fail_at_their_deadline) {
  using dref::protocol::leader_transfer;
  using dref::protocol::member_change;
  admin_waits<std::string> admin;
  BOOST_TEST(!admin.any_parked());
  admin.park(member_change{dref::protocol::member_change_kind::add_learner, "node-4", "a:1"}, "add",
             t0 + 10ms, "no leader was reachable from node-1 for 10 ms; nothing was done");
  admin.park(leader_transfer{"node-2"}, "transfer", t0 + 20ms, "no leader (transfer)");
  BOOST_TEST(admin.any_parked());

  auto expired = admin.take_expired(t0 + 10ms);
  BOOST_REQUIRE(expired.answers.size() == 1u);
  BOOST_TEST(expired.answers[0].first == "add");
  BOOST_REQUIRE(expired.answers[0].second.error.has_value());
  BOOST_TEST((expired.answers[0].second.error->code == errc::unavailable));
  BOOST_TEST(expired.answers[0].second.error->message.find("nothing was done") !=
             std::string::npos);
  BOOST_TEST(!expired.transfer_expired); // parked, so never started in the core

  admin.park(member_change{dref::protocol::member_change_kind::remove, "node-5", ""}, "remove",
             t0 + 30ms, "no leader (remove)");
  auto back = admin.take_parked();
  BOOST_REQUIRE(back.size() == 2u);
  BOOST_TEST(back[0].waiter == "transfer");
  BOOST_TEST(std::get<leader_transfer>(back[0].request).to == "node-2");
  BOOST_TEST(back[1].waiter == "remove");
  BOOST_TEST(std::get<member_change>(back[1].request).name == "node-5");
  BOOST_TEST(!admin.any_parked());
  BOOST_TEST(admin.take_expired(t0 + 1s).answers.empty()); // handed back: not answered here
}

BOOST_AUTO_TEST_SUITE_END()
