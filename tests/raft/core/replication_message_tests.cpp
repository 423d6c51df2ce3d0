// How few messages replication takes: a follower acknowledges all the
// appends one round made durable at once (drop_superseded_acknowledgements
// in raft/core's node.hpp), and a leader tells the commit with the round's
// appends rather than in a message of its own (node::tell_commit).
#include "dref/raft/core/node.hpp"
#include "scenario_support.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <vector>

namespace core = dref::raft::core;
namespace protocol = dref::protocol;

namespace {

core::message acknowledgement_from(core::node_id from, std::uint64_t term, std::uint64_t match) {
  protocol::raft_append_response resp;
  resp.success = true;
  resp.match_index = match;
  return core::message{from, 1, term, resp};
}

core::message acknowledgement(core::node_id to, std::uint64_t term, std::uint64_t match) {
  auto m = acknowledgement_from(2, term, match);
  m.to = to;
  return m;
}

core::message rejection(core::node_id to, std::uint64_t term, std::uint64_t rejected) {
  protocol::raft_append_response resp;
  resp.rejected_index = rejected;
  return core::message{2, to, term, resp};
}

core::message vote(core::node_id to, std::uint64_t term) {
  return core::message{2, to, term, protocol::raft_vote_response{true, false}};
}

// Storage keeps up at once: every round is durable before the next.
core::ready next_round(core::node& n) {
  auto round = n.ready();
  n.advance(round);
  return round;
}

std::vector<core::message> sent(const core::ready& round) {
  auto all = round.messages_now;
  all.insert(all.end(), round.messages_after_persist.begin(), round.messages_after_persist.end());
  return all;
}

// Node 1 of {1, 2, 3} elected by node 2's (pre-)votes, its first entry
// acknowledged by both followers, nothing in flight.
core::node elected_leader() {
  core::config cfg;
  cfg.id = 1;
  cfg.voters = {1, 2, 3};
  core::node leader{cfg};
  next_round(leader);
  for (int i = 0; i < 200 && leader.role() != core::role::leader; ++i) {
    leader.tick();
    while (leader.has_ready())
      for (const auto& m : sent(next_round(leader)))
        if (const auto* ask = std::get_if<protocol::raft_vote_request>(&m.payload);
            ask && m.to == 2)
          leader.step(
              core::message{2, 1, m.term, protocol::raft_vote_response{true, ask->pre_vote}});
  }
  BOOST_REQUIRE(leader.role() == core::role::leader);
  next_round(leader);
  for (core::node_id follower : {2, 3})
    leader.step(acknowledgement_from(follower, leader.term(), leader.log().last_index()));
  next_round(leader);
  BOOST_REQUIRE(leader.log().committed() == leader.log().last_index());
  return leader;
}

} // namespace

BOOST_AUTO_TEST_SUITE(replication_messages)

BOOST_AUTO_TEST_CASE(only_the_highest_per_peer_and_term_is_kept_in_place) {
  std::vector<core::message> messages{
      acknowledgement(1, 2, 5), rejection(1, 2, 9),       vote(3, 2),
      acknowledgement(1, 2, 7), acknowledgement(3, 2, 4), acknowledgement(1, 3, 2),
      acknowledgement(1, 2, 6), acknowledgement(1, 3, 3),
  };
  core::drop_superseded_acknowledgements(messages);
  std::vector<core::message> expected{
      rejection(1, 2, 9),       vote(3, 2), acknowledgement(1, 2, 7), acknowledgement(3, 2, 4),
      acknowledgement(1, 3, 3),
  };
  BOOST_TEST((messages == expected));
}

BOOST_AUTO_TEST_CASE(lone_acknowledgements_and_other_messages_are_untouched) {
  std::vector<core::message> messages{rejection(1, 2, 9), acknowledgement(1, 2, 5), vote(3, 2)};
  auto before = messages;
  core::drop_superseded_acknowledgements(messages);
  BOOST_TEST((messages == before));
}

// Three appends stepped before the follower's next ready(): the round makes
// all of them durable and promises so once, at the last index.
BOOST_AUTO_TEST_CASE(a_round_of_several_appends_is_acknowledged_once) {
  core::config cfg;
  cfg.id = 2;
  cfg.voters = {1, 2, 3};
  core::node follower{cfg};
  follower.advance(follower.ready()); // the bootstrap configuration
  const std::uint64_t term = 1;
  auto last = follower.log().last_index();
  for (int i = 0; i < 3; ++i) {
    protocol::raft_append_entries append;
    append.prev_index = last;
    append.prev_term = *follower.log().term(last);
    core::entry e;
    e.index = last + 1;
    e.term = term;
    e.data = "command " + std::to_string(i);
    append.entries.push_back(e);
    follower.step(core::message{1, 2, term, append});
    ++last;
  }
  auto round = follower.ready();
  BOOST_TEST(round.entries.size() == 3u);
  std::vector<std::uint64_t> acknowledged;
  for (const auto& m : round.messages_after_persist)
    if (const auto* resp = std::get_if<protocol::raft_append_response>(&m.payload))
      acknowledged.push_back(resp->success ? resp->match_index : 0);
  BOOST_TEST(acknowledged == std::vector<std::uint64_t>{last}, boost::test_tools::per_element());
}

// Both followers acknowledge an entry, which commits it, and another
// proposal comes before the leader's next round: each follower gets one
// append, with the new entry and the new commit, and no message that only
// carries the commit.
BOOST_AUTO_TEST_CASE(the_commit_goes_with_the_rounds_appends) {
  auto leader = elected_leader();
  const auto term = leader.term();
  BOOST_REQUIRE(leader.propose(7, 1, "x").has_value());
  next_round(leader);
  const auto x = leader.log().last_index();
  for (core::node_id follower : {2, 3})
    leader.step(acknowledgement_from(follower, term, x));
  BOOST_REQUIRE(leader.log().committed() == x);
  BOOST_REQUIRE(leader.propose(7, 2, "y").has_value());
  std::map<core::node_id, std::vector<protocol::raft_append_entries>> appends;
  while (leader.has_ready())
    for (const auto& m : sent(next_round(leader)))
      if (const auto* a = std::get_if<protocol::raft_append_entries>(&m.payload))
        appends[m.to].push_back(*a);
  for (core::node_id follower : {2, 3}) {
    BOOST_TEST_CONTEXT("follower " << follower) {
      BOOST_TEST_REQUIRE(appends[follower].size() == 1u);
      BOOST_TEST(appends[follower][0].entries.size() == 1u);
      BOOST_TEST(appends[follower][0].commit == x);
    }
  }
}

// A follower whose answers are all lost (a one-way cut) still applies every
// entry the others committed: its acknowledgements never come, so the
// leader must not wait for them to tell it the commit.
BOOST_AUTO_TEST_CASE(a_follower_whose_answers_are_lost_still_learns_the_commit) {
  using namespace dref::test::sim;
  cluster c(cluster_of(3, 91));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("warm", 200));
  auto f = some_follower(c, l);
  c.cut(f, l);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(c.propose(l, "while cut " + std::to_string(i)).has_value());
  c.run(60); // several check-quorum rounds and heartbeats, no proposal
  BOOST_REQUIRE(c.leader() == std::optional<core::node_id>{l});
  BOOST_TEST(c.machine(l).applied > 0u);
  BOOST_TEST(c.machine(f).applied == c.machine(l).applied);
}

BOOST_AUTO_TEST_SUITE_END()
