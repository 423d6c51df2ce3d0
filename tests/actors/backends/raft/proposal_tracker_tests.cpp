// proposal_tracker: where each proposal is until answered (parked, pending
// by log index, forwarded by number), re-routing on a leader change, and
// answers to forwards that were routed again since being dropped.
#include "proposal_tracker.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

using dref::raft::node::proposal_tracker;
using dref::raft::node::route;
using dref::raft::node::route_for;
using namespace std::chrono_literals;
namespace protocol = dref::protocol;

BOOST_TEST_DONT_PRINT_LOG_VALUE(route)

namespace {

using tracker = proposal_tracker<std::string>;
const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

tracker::routed proposal(std::string waiter, std::uint64_t sequence,
                         std::chrono::steady_clock::time_point deadline = t0 + 5s) {
  protocol::store_proposal p;
  p.client_id = 42;
  p.sequence = sequence;
  p.command = protocol::cmd_set{"id", "v" + std::to_string(sequence)};
  return tracker::routed{std::move(p), std::move(waiter), deadline};
}

std::vector<std::string> waiters(std::deque<tracker::routed> routed) {
  std::vector<std::string> out;
  for (auto& p : routed)
    out.push_back(p.waiter);
  return out;
}

protocol::store_reply reply_of(std::string value) {
  protocol::store_reply reply;
  reply.error = dref::error{dref::errc::not_found, std::move(value)}; // a recognizable answer
  return reply;
}

} // namespace

BOOST_AUTO_TEST_SUITE(proposal_tracker_suite)

BOOST_AUTO_TEST_CASE(routing_refuses_late_parks_without_a_leader_and_forwards_to_one) {
  BOOST_TEST(route_for(t0 + 5s, t0 + 5s, true, true, true) == route::too_late);
  BOOST_TEST(route_for(t0, t0 + 5s, false, false, true) == route::park); // still starting
  BOOST_TEST(route_for(t0, t0 + 5s, true, true, false) == route::propose_here);
  BOOST_TEST(route_for(t0, t0 + 5s, true, false, false) == route::park); // none reachable
  BOOST_TEST(route_for(t0, t0 + 5s, true, false, true) == route::forward);
}

BOOST_AUTO_TEST_CASE(a_proposal_parked_without_a_leader_is_routed_later_in_order) {
  tracker proposals;
  proposals.park(proposal("a", 1));
  proposals.park(proposal("b", 2));
  auto parked = proposals.take_parked();
  BOOST_TEST(waiters(parked) == (std::vector<std::string>{"a", "b"}),
             boost::test_tools::per_element());
  BOOST_TEST(proposals.parked_count() == 0u);
  // Routed to a leader that answers: nothing is left behind.
  auto number = proposals.forward(7, std::move(parked.front()));
  BOOST_REQUIRE(proposals.forwarded(number) != nullptr);
  BOOST_TEST(proposals.forwarded(number)->proposal.sequence == 1u);
  auto answer = proposals.forward_answered(number, reply_of("done"), 3, 3);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->first == "a");
  BOOST_TEST(answer->second.error->message == "done");
  BOOST_TEST(proposals.forwarded_count() == 0u);
}

BOOST_AUTO_TEST_CASE(forwards_are_routed_again_when_another_member_leads) {
  tracker proposals;
  proposals.forward(1, proposal("to-1", 1));
  proposals.forward(1, proposal("also-to-1", 2));
  proposals.forward(2, proposal("to-2", 3));
  proposals.reroute(dref::raft::core::no_node); // nobody leads: wait
  BOOST_TEST(proposals.parked_count() == 0u);
  proposals.reroute(1); // 1 leads: the one sent to 2 goes again
  BOOST_TEST(waiters(proposals.take_parked()) == (std::vector<std::string>{"to-2"}),
             boost::test_tools::per_element());
  BOOST_TEST(proposals.forwarded_count() == 2u);
  proposals.reroute(1, 1); // the link to 1 went down: its answers cannot come
  BOOST_TEST(waiters(proposals.take_parked()) == (std::vector<std::string>{"to-1", "also-to-1"}),
             boost::test_tools::per_element());
  BOOST_TEST(proposals.forwarded_count() == 0u);
}

BOOST_AUTO_TEST_CASE(an_answer_to_a_forward_routed_again_since_is_dropped) {
  tracker proposals;
  auto first = proposals.forward(1, proposal("a", 1));
  proposals.reroute(2);
  BOOST_TEST(proposals.parked_count() == 1u);
  BOOST_TEST(proposals.forwarded(first) == nullptr);
  // The old leader answers after all: the caller is answered by the retry.
  BOOST_TEST(!proposals.forward_answered(first, reply_of("late"), 5, 5).has_value());
  BOOST_TEST(proposals.take_replies(100).empty());
  BOOST_TEST(!proposals.forward_failed(first, false).has_value());
  BOOST_TEST(!proposals.forward_failed(first, true).has_value());
  BOOST_TEST(proposals.parked_count() == 1u); // not parked twice
  // The retry goes to the new leader under a new number and is answered once.
  auto parked = proposals.take_parked();
  auto second = proposals.forward(2, std::move(parked.front()));
  BOOST_TEST(second != first);
  auto answer = proposals.forward_answered(second, reply_of("once"), 6, 6);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->first == "a");
}

BOOST_AUTO_TEST_CASE(a_forward_answer_waits_until_its_index_is_applied_here) {
  tracker proposals;
  auto number = proposals.forward(1, proposal("a", 1));
  BOOST_TEST(!proposals.forward_answered(number, reply_of("ok"), 10, 8).has_value());
  BOOST_TEST(proposals.take_replies(9).empty());
  auto replies = proposals.take_replies(10);
  BOOST_REQUIRE(replies.size() == 1u);
  BOOST_TEST(replies.front().second == "a");
  BOOST_TEST(replies.front().first.error->message == "ok");
}

BOOST_AUTO_TEST_CASE(a_failed_forward_is_parked_unless_it_timed_out) {
  tracker proposals;
  auto lost = proposals.forward(1, proposal("not-leader", 1));
  auto late = proposals.forward(1, proposal("timed-out", 2));
  BOOST_TEST(!proposals.forward_failed(lost, false).has_value());
  BOOST_TEST(proposals.parked_count() == 1u);
  auto waiter = proposals.forward_failed(late, true);
  BOOST_REQUIRE(waiter.has_value());
  BOOST_TEST(*waiter == "timed-out");
  BOOST_TEST(proposals.parked_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_pending_proposal_is_settled_by_the_entry_applied_at_its_index) {
  tracker proposals;
  auto ours = proposal("ours", 1);
  proposals.add_pending(4, {ours.proposal, ours.waiter, false, ours.deadline});
  auto theirs = proposal("displaced", 2);
  proposals.add_pending(5, {theirs.proposal, theirs.waiter, true, theirs.deadline});
  auto config = proposal("config", 3);
  proposals.add_pending(6, {config.proposal, config.waiter, false, config.deadline});
  BOOST_TEST(!proposals.settle(3, 42, 1, true).has_value()); // nothing pending there

  auto settled = proposals.settle(4, 42, 1, true);
  BOOST_REQUIRE(settled.has_value());
  BOOST_TEST(settled->ours);
  BOOST_TEST(settled->proposal.waiter == "ours");
  // Another leader's entry took index 5: the proposal is handed back.
  settled = proposals.settle(5, 42, 9, true);
  BOOST_REQUIRE(settled.has_value());
  BOOST_TEST(!settled->ours);
  BOOST_TEST(settled->proposal.forwarded);
  settled = proposals.settle(6, 42, 3, false); // an entry without a command
  BOOST_REQUIRE(settled.has_value());
  BOOST_TEST(!settled->ours);
  BOOST_TEST(proposals.pending_count() == 0u);
}

BOOST_AUTO_TEST_CASE(pending_proposals_expire_at_their_deadline) {
  tracker proposals;
  auto soon = proposal("soon", 1, t0 + 10ms);
  auto later = proposal("later", 2, t0 + 20ms);
  proposals.add_pending(8, {later.proposal, later.waiter, false, later.deadline});
  proposals.add_pending(7, {soon.proposal, soon.waiter, false, soon.deadline});
  BOOST_TEST(proposals.take_expired(t0 + 9ms).empty());
  BOOST_TEST(proposals.take_expired(t0 + 10ms) == (std::vector<std::string>{"soon"}),
             boost::test_tools::per_element());
  BOOST_TEST(proposals.pending_count() == 1u);
  BOOST_TEST(!proposals.settle(7, 42, 1, true).has_value()); // answered already
  BOOST_TEST(proposals.take_expired(t0 + 1h) == (std::vector<std::string>{"later"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
