// Named Raft scenarios on the simulated cluster. Each drives the cluster to
// one situation from the Raft paper or dissertation and checks the outcome;
// the cluster's safety checker runs after every step as well, so every test
// also ends by requiring that no violation was seen.
#include "dref/protocol/codec.hpp"
#include "scenario_support.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using namespace dref::test::sim;
using dref::errc;
using dref::raft::core::message;
using dref::raft::core::no_node;
using dref::raft::core::persisted_state;
using dref::raft::core::role;
namespace protocol = dref::protocol;

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::uint64_t>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(dref::result<std::uint64_t>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(dref::result<void>)

namespace {

std::vector<std::uint64_t> terms_of(const dref::raft::core::raft_log& log) {
  std::vector<std::uint64_t> out;
  for (auto i = log.first_index(); i <= log.last_index(); ++i)
    out.push_back(log.at(i).term);
  return out;
}

// The two followers of leader l in a 3-node cluster.
std::pair<node_id, node_id> followers_of(cluster& c, node_id l) {
  auto first = some_follower(c, l);
  for (auto id : c.ids())
    if (id != l && id != first)
      return {first, id};
  BOOST_FAIL("no second follower");
  return {first, no_node};
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(raft_scenarios)

// --- leader election

BOOST_AUTO_TEST_CASE(fresh_cluster_elects_one_leader_that_everyone_follows) {
  for (std::size_t nodes : {1u, 3u, 5u}) {
    cluster c(cluster_of(nodes, 7));
    auto l = elect(c);
    c.run(30);
    for (auto id : c.ids()) {
      BOOST_TEST(c.at(id).term() == c.at(l).term());
      BOOST_TEST(c.at(id).leader() == l);
      if (id != l)
        BOOST_TEST((c.at(id).role() == role::follower));
    }
    BOOST_TEST(c.commit_through_leader("x", 200));
    REQUIRE_SAFE(c);
  }
}

BOOST_AUTO_TEST_CASE(a_node_with_a_stale_log_cannot_win) {
  // Node 1 has a longer log of a lower term; nodes 2 and 3 end on term 3.
  cluster c(cluster_of(3), {{1, log_with_terms({1, 1, 1, 1, 1}, 3)},
                            {2, log_with_terms({1, 3}, 3)},
                            {3, log_with_terms({1, 3}, 3)}});
  c.campaign(1);
  BOOST_TEST((c.at(1).role() != role::leader));
  // Its pre-vote failed, so nobody's term moved.
  BOOST_TEST(c.at(2).term() == 3u);
  c.campaign(2);
  BOOST_TEST((c.at(2).role() == role::leader));
  c.run(30);
  // Node 1's extra entries of term 1 are gone.
  BOOST_TEST(terms_of(c.at(1).log()) == (std::vector<std::uint64_t>{1, 3, 4}));
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(an_up_to_date_minority_candidate_wins_with_the_votes_of_stale_nodes) {
  // Only node 3 has the newest term; 1 and 2 lag behind it and vote for it.
  cluster c(cluster_of(3), {{1, log_with_terms({1}, 2)},
                            {2, log_with_terms({1, 1}, 2)},
                            {3, log_with_terms({1, 2, 2}, 2)}});
  c.campaign(3);
  BOOST_TEST((c.at(3).role() == role::leader));
  BOOST_TEST(c.at(3).term() == 3u);
  c.run(30);
  for (auto id : c.ids())
    BOOST_TEST(terms_of(c.at(id).log()) == (std::vector<std::uint64_t>{1, 2, 2, 3}));
  REQUIRE_SAFE(c);
}

// --- replication

BOOST_AUTO_TEST_CASE(a_follower_far_behind_catches_up) {
  cluster c(cluster_of(3, 11));
  auto l = elect(c);
  auto lagging = some_follower(c, l);
  c.crash(lagging);
  for (int i = 0; i < 200; ++i)
    BOOST_REQUIRE(c.propose(l, "cmd" + std::to_string(i)));
  c.run(50);
  BOOST_TEST(c.machine(l).applied >= 200u);
  c.restart(lagging);
  BOOST_TEST(c.commit_through_leader("after", 500));
  BOOST_TEST(c.machine(lagging).applied == c.machine(l).applied);
  BOOST_TEST(c.machine(lagging).digest == c.machine(l).digest);
  BOOST_TEST(terms_of(c.at(lagging).log()) == terms_of(c.at(l).log()));
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(an_append_reaching_back_into_the_committed_prefix_still_adds_its_new_entries) {
  // A delayed or duplicated append may start below what the follower has
  // already committed; the entries it carries beyond that are still new.
  cluster c(cluster_of(3, 83));
  auto l = elect(c);
  auto f = some_follower(c, l);
  BOOST_REQUIRE(c.commit_through_leader("a", 200));
  BOOST_REQUIRE(c.commit_through_leader("b", 200));
  const auto follower_commit = c.at(f).log().committed();
  BOOST_REQUIRE(follower_commit >= 2u);
  c.cut(l, f);
  BOOST_REQUIRE(c.propose(l, "c"));
  BOOST_REQUIRE(c.propose(l, "d"));
  c.run(5);
  const auto& log = c.at(l).log();
  protocol::raft_append_entries late;
  late.prev_index = follower_commit - 1;
  late.prev_term = *log.term(late.prev_index);
  late.commit = log.committed();
  for (auto i = follower_commit; i <= log.last_index(); ++i)
    late.entries.push_back(log.at(i));
  std::uint64_t acked = 0;
  c.on_send = [&](const message& m) {
    if (const auto* a = std::get_if<protocol::raft_append_response>(&m.payload); a && m.from == f)
      acked = std::max(acked, a->match_index);
    return true;
  };
  c.heal_partitions(); // no tick in between: only the late append arrives
  c.inject(message{l, f, c.at(l).term(), late});
  BOOST_TEST(c.at(f).log().last_index() == log.last_index());
  BOOST_TEST(acked == log.last_index());
  BOOST_TEST(terms_of(c.at(f).log()) == terms_of(log));
  REQUIRE_SAFE(c);
}

// Raft paper, figure 7: whatever a follower's log (a-f), the leader of term
// 8 makes it identical to its own: missing entries are filled in, extra and
// conflicting ones removed.
BOOST_AUTO_TEST_CASE(figure_7_followers_converge_to_the_leaders_log) {
  const std::vector<std::uint64_t> leader_log{1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<std::pair<char, std::vector<std::uint64_t>>> followers{
      {'a', {1, 1, 1, 4, 4, 5, 5, 6, 6}},
      {'b', {1, 1, 1, 4}},
      {'c', {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}},
      {'d', {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}},
      {'e', {1, 1, 1, 4, 4, 4, 4}},
      {'f', {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}},
  };
  for (const auto& [name, follower_log] : followers) {
    BOOST_TEST_CONTEXT("case " << name) {
      // Node 1 leads with node 3's vote (node 3 holds the leader's log).
      cluster c(cluster_of(3), {{1, log_with_terms(leader_log, 7)},
                                {2, log_with_terms(follower_log, 7)},
                                {3, log_with_terms(leader_log, 7)}});
      c.campaign(1);
      BOOST_REQUIRE((c.at(1).role() == role::leader));
      BOOST_TEST(c.at(1).term() == 8u);
      c.run(60);
      auto expected = leader_log;
      expected.push_back(8); // the new leader's noop
      BOOST_TEST(terms_of(c.at(2).log()) == expected);
      BOOST_TEST(c.at(2).log().committed() == 11u);
      BOOST_TEST(c.machine(2).digest == c.machine(1).digest);
      REQUIRE_SAFE(c);
    }
  }
}

// Raft paper, figure 8 (§5.4.2): a leader must not commit an entry of an
// older term because a majority stores it; only an entry of its own term,
// counted by replicas, commits the ones before it.
BOOST_AUTO_TEST_CASE(figure_8_old_term_entries_are_not_committed_by_counting) {
  auto logs = [] {
    return std::map<node_id, persisted_state>{{1, log_with_terms({1, 2}, 3)},
                                              {2, log_with_terms({1, 2}, 3)},
                                              {3, log_with_terms({1}, 3)},
                                              {4, log_with_terms({1}, 3)},
                                              {5, log_with_terms({1, 3}, 3)}};
  };
  auto forged_ack = [](node_id from, std::uint64_t term, std::uint64_t match) {
    protocol::raft_append_response ack;
    ack.success = true;
    ack.match_index = match;
    return message{from, 1, term, ack};
  };
  {
    // (c): S1 leads term 4; index 2 (term 2) reaches S2 and S3, a majority,
    // while its own noop (index 3) reaches nobody.
    cluster c(cluster_of(5), logs());
    c.on_send = [](const message& m) {
      return !(m.from == 1 && std::holds_alternative<protocol::raft_append_entries>(m.payload));
    };
    c.campaign(1);
    BOOST_REQUIRE((c.at(1).role() == role::leader));
    BOOST_REQUIRE(c.at(1).term() == 4u);
    c.inject(forged_ack(2, 4, 2));
    c.inject(forged_ack(3, 4, 2));
    BOOST_TEST(c.at(1).log().committed() < 2u);
    BOOST_TEST(c.machine(1).applied < 2u);
    // (d): S1 crashes and S5 wins term 5 with S2, S3 and S4, then replaces
    // index 2 everywhere with its term-3 entry. Had S1 committed index 2,
    // the checker would report two different commands applied at 2.
    c.crash(1);
    c.on_send = nullptr;
    c.campaign(5);
    BOOST_REQUIRE((c.at(5).role() == role::leader));
    c.run(30);
    c.restart(1);
    BOOST_TEST(c.commit_through_leader("after", 300));
    for (auto id : c.ids())
      BOOST_TEST(c.at(id).log().term(2) == std::optional<std::uint64_t>{3});
    REQUIRE_SAFE(c);
  }
  {
    // (e): the same, but a majority acknowledges S1's own noop: that
    // commits it and index 2 with it.
    cluster c(cluster_of(5), logs());
    c.on_send = [](const message& m) {
      return !(m.from == 1 && std::holds_alternative<protocol::raft_append_entries>(m.payload));
    };
    c.campaign(1);
    BOOST_REQUIRE((c.at(1).role() == role::leader));
    c.inject(forged_ack(2, 4, 3));
    c.inject(forged_ack(3, 4, 3));
    BOOST_TEST(c.at(1).log().committed() == 3u);
    BOOST_TEST(c.machine(1).applied == 3u);
    REQUIRE_SAFE(c);
  }
}

BOOST_AUTO_TEST_CASE(a_partitioned_leader_cannot_commit) {
  auto opts = cluster_of(5, 3);
  opts.check_quorum = false; // keep the old leader in office to show it cannot commit
  cluster c(opts);
  auto old = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("before", 200));
  auto buddy = some_follower(c, old);
  c.partition({old, buddy});
  auto lost = c.propose(old, "lost");
  BOOST_REQUIRE(lost);
  c.run(100);
  BOOST_TEST((c.at(old).role() == role::leader)); // it does not know
  BOOST_TEST(c.at(old).log().committed() < *lost);
  // The majority side elects its own leader and moves on.
  auto fresh = c.leader();
  BOOST_REQUIRE(fresh.has_value());
  BOOST_TEST(*fresh != old);
  BOOST_TEST(c.at(*fresh).term() > c.at(old).term());
  BOOST_REQUIRE(c.propose(*fresh, "kept"));
  c.run(30);
  c.heal();
  BOOST_TEST(c.commit_through_leader("after", 300));
  for (auto id : c.ids()) {
    BOOST_TEST(!contains(c.machine(id).applied_data, "lost"));
    BOOST_TEST(contains(c.machine(id).applied_data, "kept"));
  }
  REQUIRE_SAFE(c);
}

// --- disruption

BOOST_AUTO_TEST_CASE(pre_vote_keeps_a_rejoining_node_from_inflating_terms) {
  for (bool pre_vote : {true, false}) {
    BOOST_TEST_CONTEXT("pre_vote " << pre_vote) {
      auto opts = cluster_of(3, 5);
      opts.pre_vote = pre_vote;
      cluster c(opts);
      auto l = elect(c);
      const auto term = c.at(l).term();
      auto loner = some_follower(c, l);
      c.isolate(loner);
      c.run(200);
      c.heal();
      c.run(50);
      if (pre_vote) {
        // Its pre-votes failed: same term everywhere, same leader.
        BOOST_TEST(c.at(loner).term() == term);
        BOOST_TEST(c.leader() == std::optional<node_id>{l});
        BOOST_TEST(c.at(l).term() == term);
      } else {
        // The control: without pre-vote its term ran away and its return
        // deposed the leader.
        BOOST_TEST(c.at(l).term() > term + 5);
      }
      BOOST_TEST(c.commit_through_leader("x", 300));
      REQUIRE_SAFE(c);
    }
  }
}

BOOST_AUTO_TEST_CASE(check_quorum_makes_a_leader_without_quorum_step_down) {
  for (bool check_quorum : {true, false}) {
    BOOST_TEST_CONTEXT("check_quorum " << check_quorum) {
      auto opts = cluster_of(3, 9);
      opts.check_quorum = check_quorum;
      cluster c(opts);
      auto l = elect(c);
      c.isolate(l);
      c.run(3 * opts.election_ticks);
      if (check_quorum)
        BOOST_TEST((c.at(l).role() != role::leader)); // by now it may campaign
      else
        BOOST_TEST((c.at(l).role() == role::leader)); // the control
      REQUIRE_SAFE(c);
    }
  }
}

BOOST_AUTO_TEST_CASE(followers_ignore_disruptive_votes_while_they_hear_a_leader) {
  auto opts = cluster_of(3, 13);
  opts.pre_vote = false;
  cluster c(opts);
  auto l = elect(c);
  c.run(5);
  auto [follower, disruptor] = followers_of(c, l);
  const auto term = c.at(follower).term();
  const auto& log = c.at(disruptor).log();
  std::size_t answers = 0;
  c.on_send = [&](const message& m) {
    answers += m.to == disruptor && std::holds_alternative<protocol::raft_vote_response>(m.payload);
    return true;
  };
  protocol::raft_vote_request request{log.last_index(), log.last_term(), false, false};
  c.inject(message{disruptor, follower, term + 1, request});
  BOOST_TEST(c.at(follower).term() == term);
  BOOST_TEST(c.at(follower).leader() == l);
  BOOST_TEST(answers == 0u);
  // A leader-requested transfer is honoured even so.
  request.leader_transfer = true;
  c.inject(message{disruptor, follower, term + 1, request});
  BOOST_TEST(c.at(follower).term() == term + 1);
  BOOST_TEST(c.at(follower).voted_for() == disruptor);
  BOOST_TEST(answers == 1u);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_follower_that_stopped_hearing_the_leader_votes_again) {
  auto opts = cluster_of(3, 13);
  opts.pre_vote = false;
  cluster c(opts);
  auto l = elect(c);
  auto follower = some_follower(c, l);
  c.isolate(l);
  // Only the follower's clock runs: it forgets the leader after a timeout.
  for (int i = 0; i < opts.election_ticks; ++i)
    c.at(follower).tick();
  const auto term = c.at(l).term() + 5;
  const auto& log = c.at(l).log();
  c.inject(message{l == 1 ? 2u : 1u, follower, term,
                   protocol::raft_vote_request{log.last_index(), log.last_term(), false, false}});
  BOOST_TEST(c.at(follower).term() == term);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_follower_told_the_leader_is_unreachable_votes_at_once) {
  cluster c(cluster_of(3, 17));
  auto l = elect(c);
  auto [follower, candidate] = followers_of(c, l);
  c.run(5);
  // A plain vote (no pre-vote), as a candidate that won its pre-vote sends.
  protocol::raft_vote_request request{c.at(candidate).log().last_index(),
                                      c.at(candidate).log().last_term(), false, false};
  const auto term = c.at(follower).term();
  // Another member's link going down changes nothing.
  c.at(follower).leader_unreachable(candidate);
  c.inject(message{candidate, follower, term + 1, request});
  BOOST_TEST(c.at(follower).term() == term);
  c.at(follower).leader_unreachable(l);
  c.inject(message{candidate, follower, term + 1, request});
  BOOST_TEST(c.at(follower).term() == term + 1);
  BOOST_TEST(c.at(follower).voted_for() == candidate);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(followers_that_lose_the_leaders_link_elect_a_new_one_sooner) {
  // The same cluster (same seed, same random timeouts) twice: once the
  // followers only stop hearing the crashed leader, once they are told.
  auto ticks_to_new_leader = [](bool told) {
    cluster c(cluster_of(3, 29));
    auto l = elect(c);
    c.run(3);
    c.settle(); // the leader's last heartbeats arrive before its links drop
    c.crash(l);
    if (told)
      for (auto id : c.ids())
        if (id != l)
          c.at(id).leader_unreachable(l);
    for (int t = 1; t <= 500; ++t) {
      c.tick();
      if (auto now = c.leader(); now && *now != l)
        return t;
    }
    return -1;
  };
  auto waited = ticks_to_new_leader(false);
  auto told = ticks_to_new_leader(true);
  BOOST_TEST_MESSAGE("new leader after " << waited << " ticks untold, " << told << " told");
  BOOST_TEST_REQUIRE(waited > 0);
  BOOST_TEST_REQUIRE(told > 0);
  BOOST_TEST(told < waited);
  BOOST_TEST(told <= options{}.election_ticks + 3); // the random part, plus the rounds
}

// --- leadership transfer

BOOST_AUTO_TEST_CASE(leadership_transfer_hands_over_to_the_target) {
  cluster c(cluster_of(3, 17));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("before", 200));
  auto target = some_follower(c, l);
  const auto term = c.at(l).term();
  BOOST_REQUIRE(c.at(l).transfer_leadership(target));
  BOOST_TEST(c.at(l).transfer_target() == target);
  // No new proposals while handing over.
  auto refused = c.propose(l, "during");
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().code == errc::unavailable));
  for (int i = 0; i < 20 && c.leader() != std::optional<node_id>{target}; ++i)
    c.tick();
  BOOST_TEST(c.leader() == std::optional<node_id>{target});
  BOOST_TEST(c.at(target).term() == term + 1);
  BOOST_TEST((c.at(l).role() == role::follower));
  BOOST_TEST(c.commit_through_leader("after", 200));
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(leadership_transfer_is_abandoned_after_a_timeout_or_cancelled) {
  auto opts = cluster_of(3, 19);
  cluster c(opts);
  auto l = elect(c);
  auto target = some_follower(c, l);
  c.isolate(target);
  BOOST_REQUIRE(c.at(l).transfer_leadership(target));
  BOOST_TEST(!c.propose(l, "during"));
  c.run(opts.election_ticks + 1);
  // The target never answered: the leader serves again.
  BOOST_TEST((c.at(l).role() == role::leader));
  BOOST_TEST(c.at(l).transfer_target() == no_node);
  BOOST_TEST(c.propose(l, "after timeout"));
  // An explicit cancellation resumes at once.
  BOOST_REQUIRE(c.at(l).transfer_leadership(target));
  BOOST_TEST(!c.propose(l, "during"));
  c.at(l).cancel_transfer();
  BOOST_TEST(c.propose(l, "after cancel"));
  c.heal();
  BOOST_TEST(c.commit_through_leader("x", 200));
  BOOST_TEST(c.leader() == std::optional<node_id>{l});
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_SUITE_END()
