// Named Raft scenarios on the simulated cluster, continued from
// scenario_tests.cpp (elections, logs, transfers): reads, snapshots,
// membership, proposals.
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

BOOST_AUTO_TEST_SUITE(raft_scenarios)

// --- reads

BOOST_AUTO_TEST_CASE(read_index_reads_see_every_committed_write) {
  cluster c(cluster_of(3, 23));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("w1", 200));
  const auto written = c.highest_committed();
  auto follower = some_follower(c, l);
  BOOST_REQUIRE(c.read_index(l, "at leader"));
  BOOST_REQUIRE(c.read_index(follower, "at follower"));
  c.run(10);
  BOOST_REQUIRE(has_read(c, l, "at leader"));
  BOOST_REQUIRE(has_read(c, follower, "at follower"));
  BOOST_TEST(read_index_of(c, l, "at leader") >= written);
  BOOST_TEST(read_index_of(c, follower, "at follower") >= written);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_deposed_leader_serves_no_read_index_read) {
  auto opts = cluster_of(3, 29);
  opts.check_quorum = false; // it keeps believing it leads
  cluster c(opts);
  auto old = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("w1", 200));
  c.isolate(old);
  BOOST_REQUIRE(c.read_index(old, "stale"));
  c.run(100);
  auto fresh = c.leader();
  BOOST_REQUIRE(fresh.has_value());
  BOOST_TEST(*fresh != old);
  BOOST_TEST(c.propose(*fresh, "w2"));
  c.run(20);
  BOOST_TEST((c.at(old).role() == role::leader));
  BOOST_TEST(!has_read(c, old, "stale"));
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_new_leader_answers_reads_only_after_committing_in_its_term) {
  // Entries 1-2 may or may not be committed; until its noop commits, the
  // new leader does not know, so a read must wait for it.
  cluster c(cluster_of(3), {{1, log_with_terms({1, 1}, 1)},
                            {2, log_with_terms({1, 1}, 1)},
                            {3, log_with_terms({1}, 1)}});
  c.on_send = [](const message& m) {
    return !(m.from == 1 && std::holds_alternative<protocol::raft_append_entries>(m.payload));
  };
  c.campaign(1);
  BOOST_REQUIRE((c.at(1).role() == role::leader));
  BOOST_REQUIRE(c.read_index(1, "early"));
  c.run(5);
  BOOST_TEST(!has_read(c, 1, "early"));
  c.on_send = nullptr;
  c.run(10);
  BOOST_REQUIRE(has_read(c, 1, "early"));
  BOOST_TEST(read_index_of(c, 1, "early") == 3u); // after the noop of term 2
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(lease_reads_need_no_round_trip_until_the_lease_runs_out) {
  auto opts = cluster_of(3, 89);
  opts.reads = dref::raft::core::read_mode::lease;
  cluster c(opts);
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("w1", 200));
  c.run(3);
  // Cut off right after a quorum answered: no heartbeat round can confirm
  // anything now, yet the lease still covers a read.
  c.isolate(l);
  BOOST_REQUIRE(c.read_index(l, "fresh"));
  c.tick();
  BOOST_TEST(has_read(c, l, "fresh"));
  // An election timeout later the followers may elect someone else, so the
  // lease is gone: the read waits for a round trip that never comes.
  c.run(opts.election_ticks - 1);
  auto late = c.read_index(l, "expired");
  c.run(3 * opts.election_ticks);
  BOOST_TEST(!has_read(c, l, "expired"));
  (void)late; // refused outright when check-quorum already deposed it
  REQUIRE_SAFE(c);
}

// --- snapshots

BOOST_AUTO_TEST_CASE(a_lagging_follower_gets_a_chunked_snapshot_after_compaction) {
  auto opts = cluster_of(3, 37);
  opts.snapshot_chunk_bytes = 4; // a digest is ~20 characters: several chunks
  cluster c(opts);
  auto l = elect(c);
  auto lagging = some_follower(c, l);
  c.crash(lagging);
  for (int i = 0; i < 50; ++i)
    BOOST_REQUIRE(c.commit_through_leader("cmd" + std::to_string(i), 200));
  for (auto id : c.ids())
    c.compact(id);
  BOOST_REQUIRE(c.at(l).log().snapshot_index() >= 50u);
  std::size_t chunks = 0;
  c.on_send = [&](const message& m) {
    if (m.to == lagging && std::holds_alternative<protocol::raft_install_snapshot>(m.payload))
      ++chunks;
    return true;
  };
  c.restart(lagging);
  BOOST_TEST(c.commit_through_leader("after", 300));
  BOOST_TEST(chunks >= 3u);
  BOOST_TEST(c.at(lagging).log().snapshot_index() == c.at(l).log().snapshot_index());
  BOOST_TEST(c.machine(lagging).applied == c.machine(l).applied);
  BOOST_TEST(c.machine(lagging).digest == c.machine(l).digest);
  // It persisted the snapshot: after another restart it starts from there.
  c.crash(lagging);
  c.restart(lagging);
  BOOST_TEST(c.machine(lagging).applied >= c.at(l).log().snapshot_index());
  BOOST_TEST(c.commit_through_leader("after restart", 300));
  BOOST_TEST(c.machine(lagging).digest == c.machine(l).digest);
  REQUIRE_SAFE(c);
}

// --- membership

BOOST_AUTO_TEST_CASE(membership_add_learner_promote_and_remove) {
  using kind = protocol::raft_conf_change_type;
  cluster c(cluster_of(3, 41));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("before", 200));
  auto joiner = c.add_empty_node();
  BOOST_REQUIRE(c.at(l).propose_conf_change({kind::add_learner, joiner}));
  BOOST_TEST(c.commit_through_leader("learner added", 300));
  const auto& learners = c.at(l).membership().learners;
  BOOST_TEST((std::find(learners.begin(), learners.end(), joiner) != learners.end()));
  BOOST_TEST(c.machine(joiner).digest == c.machine(l).digest);
  BOOST_TEST((c.at(joiner).role() == role::follower));
  // The joiner learned the whole membership from the log.
  BOOST_TEST((c.at(joiner).membership() == c.at(l).membership()));

  BOOST_REQUIRE(c.at(l).propose_conf_change({kind::promote_learner, joiner}));
  // One change at a time: a second one waits for the first to commit.
  auto second = c.at(l).propose_conf_change({kind::add_learner, c.add_empty_node()});
  BOOST_REQUIRE(!second);
  BOOST_TEST((second.error().code == errc::membership_change_pending));
  BOOST_TEST(c.commit_through_leader("promoted", 300));
  BOOST_TEST(c.at(l).membership().voters.size() == 4u);

  auto removed = some_follower(c, l);
  if (removed == joiner)
    removed = some_follower(c, joiner) == l ? no_node : some_follower(c, joiner);
  BOOST_REQUIRE(removed != no_node);
  BOOST_REQUIRE(c.at(l).propose_conf_change({kind::remove, removed}));
  BOOST_TEST(c.commit_through_leader("removed", 300));
  const auto& voters = c.at(l).membership().voters;
  BOOST_TEST(voters.size() == 3u);
  BOOST_TEST((std::find(voters.begin(), voters.end(), removed) == voters.end()));
  // The rest commits without it.
  c.crash(removed);
  BOOST_TEST(c.commit_through_leader("without", 300));
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(membership_refuses_a_removal_that_loses_quorum) {
  using kind = protocol::raft_conf_change_type;
  cluster c(cluster_of(3, 43));
  auto l = elect(c);
  auto down = some_follower(c, l);
  c.crash(down);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(c.commit_through_leader("cmd" + std::to_string(i), 200));
  node_id live = no_node;
  for (auto id : c.ids())
    if (id != l && id != down)
      live = id;
  // Without the live follower, {leader, down} could never commit again.
  auto refused = c.at(l).propose_conf_change({kind::remove, live});
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().code == errc::unavailable));
  // Removing the dead one is fine.
  BOOST_TEST(c.at(l).propose_conf_change({kind::remove, down}));
  BOOST_TEST(c.commit_through_leader("after", 200));
  BOOST_TEST(c.at(l).membership().voters.size() == 2u);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_removed_leader_steps_down_after_committing_its_removal) {
  using kind = protocol::raft_conf_change_type;
  cluster c(cluster_of(3, 47));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("before", 200));
  auto index = c.at(l).propose_conf_change({kind::remove, l});
  BOOST_REQUIRE(index);
  // It leads until the removal commits, then steps down.
  for (int i = 0; i < 50 && c.at(l).role() == role::leader; ++i) {
    c.tick();
    if (c.at(l).role() == role::leader)
      BOOST_TEST(c.at(l).log().committed() < *index);
  }
  BOOST_TEST((c.at(l).role() == role::follower));
  BOOST_TEST(c.at(l).log().committed() >= *index);
  auto next = elect(c);
  BOOST_TEST(next != l);
  BOOST_TEST(c.commit_through_leader("after", 300));
  const auto& voters = c.at(next).membership().voters;
  BOOST_TEST((std::find(voters.begin(), voters.end(), l) == voters.end()));
  c.run(100);
  BOOST_TEST(c.leader() == std::optional<node_id>{next}); // the removed node stays quiet
  REQUIRE_SAFE(c);
}

// --- client interface

BOOST_AUTO_TEST_CASE(a_follower_answers_proposals_with_not_leader_and_the_leader_id) {
  cluster c(cluster_of(3, 53));
  auto l = elect(c);
  c.run(5);
  auto follower = some_follower(c, l);
  auto r = c.propose(follower, "x");
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.error().code == errc::not_leader));
  BOOST_TEST(c.at(follower).leader() == l);
  BOOST_TEST(r.error().message.find("node " + std::to_string(l)) != std::string::npos);
  BOOST_TEST(c.at(follower).log().last_index() == c.at(l).log().last_index());
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(a_retried_command_is_applied_once) {
  cluster c(cluster_of(3, 59));
  auto l = elect(c);
  // The client retries (7, 1) as if its first answer had been lost.
  BOOST_REQUIRE(c.propose(l, "once", 7, 1));
  BOOST_REQUIRE(c.propose(l, "once", 7, 1));
  BOOST_REQUIRE(c.propose(l, "next", 7, 2));
  BOOST_TEST(c.commit_through_leader("done", 200));
  for (auto id : c.ids()) {
    const auto& applied = c.machine(id).applied_data;
    BOOST_TEST(std::count(applied.begin(), applied.end(), "once") == 1);
    BOOST_TEST(std::count(applied.begin(), applied.end(), "next") == 1);
    BOOST_TEST(c.machine(id).duplicates_skipped == 1u);
  }
  REQUIRE_SAFE(c);
}

// --- flow control

BOOST_AUTO_TEST_CASE(batching_packs_proposals_into_one_append_per_follower) {
  for (bool batch : {true, false}) {
    BOOST_TEST_CONTEXT("batch_proposals " << batch) {
      auto opts = cluster_of(3, 61);
      opts.batch_proposals = batch;
      opts.max_inflight = 64;
      opts.max_message_bytes = 1 << 20;
      cluster c(opts);
      auto l = elect(c);
      BOOST_REQUIRE(c.commit_through_leader("warm", 200));
      std::map<node_id, std::size_t> appends;
      c.on_send = [&](const message& m) {
        const auto* a = std::get_if<protocol::raft_append_entries>(&m.payload);
        if (a != nullptr && !a->entries.empty())
          ++appends[m.to];
        return true;
      };
      for (int i = 0; i < 20; ++i)
        BOOST_REQUIRE(c.propose(l, "cmd" + std::to_string(i)));
      c.tick();
      c.on_send = nullptr;
      for (auto id : c.ids())
        if (id != l)
          BOOST_TEST(appends[id] == (batch ? 1u : 20u));
      BOOST_TEST(c.commit_through_leader("after", 200));
      REQUIRE_SAFE(c);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_follower_that_does_not_answer_gets_at_most_max_inflight_appends) {
  auto opts = cluster_of(3, 67);
  opts.max_inflight = 4;
  cluster c(opts);
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("warm", 200));
  auto silent = some_follower(c, l);
  c.cut(silent, l); // its acknowledgements are lost
  std::size_t appends = 0;
  c.on_send = [&](const message& m) {
    const auto* a = std::get_if<protocol::raft_append_entries>(&m.payload);
    appends += m.to == silent && a != nullptr && !a->entries.empty();
    return true;
  };
  for (int i = 0; i < 30; ++i) {
    BOOST_REQUIRE(c.propose(l, "cmd" + std::to_string(i)));
    c.tick();
  }
  BOOST_TEST(appends == opts.max_inflight);
  c.on_send = nullptr;
  c.heal();
  BOOST_TEST(c.commit_through_leader("after", 300));
  BOOST_TEST(c.machine(silent).digest == c.machine(l).digest);
  REQUIRE_SAFE(c);
}

// A follower whose pipeline was full when the commit moved (the other
// acknowledged first) hears of it with its own acknowledgement, not only
// with the next heartbeat: a member answers a forwarded proposal once it
// applied it.
BOOST_AUTO_TEST_CASE(a_follower_paused_at_the_commit_hears_of_it_without_a_heartbeat) {
  for (std::size_t inflight : {1u, 64u}) {
    BOOST_TEST_CONTEXT("max_inflight " << inflight) {
      auto opts = cluster_of(3, 73);
      opts.max_inflight = inflight;
      cluster c(opts);
      auto l = elect(c);
      BOOST_REQUIRE(c.commit_through_leader("warm", 200));
      auto late = some_follower(c, l);
      c.pause(late); // the append to it waits; the other follower commits it
      BOOST_REQUIRE(c.propose(l, "news"));
      c.settle();
      BOOST_REQUIRE(c.machine(l).applied > c.machine(late).applied);
      c.resume(late);
      c.settle(); // no tick: no heartbeat
      BOOST_TEST(c.machine(late).applied == c.machine(l).applied);
      REQUIRE_SAFE(c);
    }
  }
}

BOOST_AUTO_TEST_CASE(append_messages_respect_the_maximum_size) {
  auto opts = cluster_of(3, 71);
  opts.max_message_bytes = 512;
  cluster c(opts);
  auto l = elect(c);
  std::size_t multi_entry = 0;
  std::size_t oversized = 0;
  std::size_t largest = 0;
  c.on_send = [&](const message& m) {
    const auto* a = std::get_if<protocol::raft_append_entries>(&m.payload);
    if (a == nullptr || a->entries.size() < 2)
      return true; // a single entry goes out whatever its size
    ++multi_entry;
    auto bytes = protocol::encode(m).size();
    largest = std::max(largest, bytes);
    if (bytes > opts.max_message_bytes) {
      ++oversized;
      BOOST_TEST_MESSAGE("append of " << a->entries.size() << " entries is " << bytes << " bytes");
    }
    return true;
  };
  // Several sizes, so that the limit falls at different points of an entry.
  for (std::size_t size : {1u, 10u, 37u, 80u, 100u, 150u})
    for (int i = 0; i < 12; ++i)
      BOOST_REQUIRE(c.propose(l, std::string(size, static_cast<char>('a' + i))));
  BOOST_TEST(c.commit_through_leader("after", 300));
  BOOST_TEST_MESSAGE(multi_entry << " appends of several entries, the largest " << largest
                                 << " bytes");
  BOOST_TEST(multi_entry > 0u);
  BOOST_TEST(oversized == 0u);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_SUITE_END()
