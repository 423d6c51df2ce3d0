// Named scenarios for clock skew and paused members: the simulated clocks and
// pauses themselves, ReadIndex reads staying fresh under both, and the
// reason lease reads stay off (read_mode::lease in raft/core's node.hpp
// states the bound these scenarios stand on either side of).
#include "scenario_support.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace dref::test::sim;
using dref::raft::core::read_mode;

BOOST_TEST_DONT_PRINT_LOG_VALUE(dref::result<void>)

namespace {

constexpr int election_ticks = 10; // options' default

// What a leader that may no longer lead did while the others moved on.
struct race {
  std::size_t reads_served_by_old_leader = 0;
  // The others committed past what the old leader knows (the new leader's
  // noop at least; the first violation stops the race).
  bool others_committed_more = false;
  std::string violation;
};

bool applied(cluster& c, node_id id, const std::string& data) {
  for (const auto& d : c.machine(id).applied_data)
    if (d == data)
      return true;
  return false;
}

// Elects a leader, commits w1 through it and lets a heartbeat round be
// acknowledged since: in lease mode, a lease holds now.
node_id leader_after_a_write(cluster& c) {
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("w1", 200));
  c.run(3);
  return l;
}

options race_options(read_mode reads, std::uint64_t seed) {
  auto opts = cluster_of(3, seed);
  opts.reads = reads;
  return opts;
}

// The leader is cut off from its peers (clients still reach it) with its
// clock at leader_rate and theirs at peer_rate. While the peers elect a new
// leader and commit a write through it, a client reads at the old leader
// every tick.
race isolated_leader_race(read_mode reads, double leader_rate, double peer_rate,
                          std::uint64_t seed) {
  cluster c(race_options(reads, seed));
  auto old = leader_after_a_write(c);
  for (auto id : c.ids())
    c.set_clock_rate(id, id == old ? leader_rate : peer_rate);
  c.isolate(old);
  race out;
  bool proposed = false;
  for (int i = 0; i < 10 * election_ticks && c.violation().empty(); ++i) {
    if (c.read_index(old, "r" + std::to_string(i)))
      BOOST_TEST_MESSAGE("tick " << c.now() << ": read at the old leader, known committed "
                                 << c.highest_known_commit());
    auto l = c.leader();
    if (l && *l != old && !proposed)
      proposed = c.propose(*l, "w2").has_value();
    c.tick();
  }
  out.reads_served_by_old_leader = c.reads(old).size();
  out.others_committed_more = c.highest_known_commit() > c.at(old).log().committed();
  out.violation = c.violation();
  return out;
}

// The leader is paused while the others elect a new leader and commit w2
// through it (applied by both); right after the old leader resumes, before
// it hears of the new term, a client reads at it.
race paused_leader_race(read_mode reads, std::uint64_t seed) {
  cluster c(race_options(reads, seed));
  auto old = leader_after_a_write(c);
  c.pause(old);
  race out;
  BOOST_REQUIRE(c.commit_through_leader("w2", 300));
  out.others_committed_more = c.highest_known_commit() > c.at(old).log().committed();
  auto fresh = c.leader();
  BOOST_REQUIRE(fresh && *fresh != old);
  c.resume(old);
  BOOST_REQUIRE(c.read_index(old, "after resume"));
  c.run(2 * election_ticks);
  out.reads_served_by_old_leader = c.reads(old).size();
  out.violation = c.violation();
  return out;
}

bool is_stale_read(const std::string& violation) {
  return violation.rfind("stale read", 0) == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(raft_scenarios)

// --- the simulated clocks and pauses

BOOST_AUTO_TEST_CASE(each_node_ticks_at_its_own_clock_rate_and_not_while_paused) {
  cluster c(cluster_of(3, 3));
  c.set_clock_rate(1, 0.5);
  c.set_clock_rate(3, 1.25);
  c.run(100);
  BOOST_TEST(c.ticks_of(1) == 50u);
  BOOST_TEST(c.ticks_of(2) == 100u);
  BOOST_TEST(c.ticks_of(3) == 125u);
  c.pause(2);
  c.run(40);
  BOOST_TEST(c.ticks_of(2) == 100u);
  c.resume(2);
  c.run(1);
  BOOST_TEST(c.ticks_of(2) == 101u);
  REQUIRE_SAFE(c);
}

BOOST_AUTO_TEST_CASE(drawn_clock_rates_stay_within_the_drift_and_replay_per_seed) {
  auto opts = cluster_of(5, 11);
  opts.max_clock_drift = 0.2;
  cluster a(opts);
  cluster b(opts);
  a.run(1000);
  b.run(1000);
  bool some_differ = false;
  for (auto id : a.ids()) {
    BOOST_TEST(a.ticks_of(id) == b.ticks_of(id));
    BOOST_TEST(a.ticks_of(id) >= 799u);
    BOOST_TEST(a.ticks_of(id) <= 1201u);
    some_differ = some_differ || a.ticks_of(id) != 1000u;
  }
  BOOST_TEST(some_differ);
  REQUIRE_SAFE(a);
}

BOOST_AUTO_TEST_CASE(a_paused_follower_keeps_its_state_and_gets_what_waited_after_resume) {
  cluster c(cluster_of(3, 5));
  auto l = elect(c);
  BOOST_REQUIRE(c.commit_through_leader("w1", 200));
  auto follower = some_follower(c, l);
  const auto log_before = c.at(follower).log().last_index();
  c.pause(follower);
  BOOST_TEST(!c.propose(follower, "refused while paused"));
  BOOST_REQUIRE(c.commit_through_leader("w2", 200)); // the other two are a quorum
  // Nothing sent from now on reaches it: only what waited can bring w2.
  c.on_send = [follower](const dref::raft::core::message& m) { return m.to != follower; };
  c.run(3 * election_ticks);
  BOOST_TEST(c.at(follower).log().last_index() == log_before);
  BOOST_TEST(c.paused(follower));
  c.resume(follower);
  c.run(3);
  BOOST_TEST(c.at(follower).log().last_index() > log_before);
  c.on_send = nullptr;
  c.run(5);
  // Unlike a crash, it kept what it had applied and continues from there.
  BOOST_TEST(applied(c, follower, "w1"));
  BOOST_TEST(applied(c, follower, "w2"));
  BOOST_TEST((c.leader() == l));
  REQUIRE_SAFE(c);
}

// --- reads under skew and pauses

BOOST_AUTO_TEST_CASE(read_index_reads_stay_fresh_with_a_paused_or_slow_leader) {
  auto paused = paused_leader_race(read_mode::safe, 41);
  BOOST_TEST(paused.others_committed_more);
  BOOST_TEST(paused.reads_served_by_old_leader == 0u);
  BOOST_TEST(paused.violation == "");
  auto slow = isolated_leader_race(read_mode::safe, 0.2, 1.0, 41);
  BOOST_TEST(slow.others_committed_more);
  BOOST_TEST(slow.reads_served_by_old_leader == 0u);
  BOOST_TEST(slow.violation == "");
}

// Why lease reads stay off: a lease counts the leader's own ticks, and a
// pause stops them while the other members' clocks run on.
BOOST_AUTO_TEST_CASE(a_paused_lease_leader_serves_a_stale_read_and_the_checker_finds_it) {
  auto paused = paused_leader_race(read_mode::lease, 41);
  BOOST_TEST(paused.others_committed_more);
  BOOST_TEST(is_stale_read(paused.violation), paused.violation);
}

BOOST_AUTO_TEST_CASE(a_lease_leader_whose_clock_runs_slow_beyond_the_bound_serves_a_stale_read) {
  auto slow = isolated_leader_race(read_mode::lease, 0.2, 1.0, 41);
  BOOST_TEST(slow.others_committed_more);
  BOOST_TEST(is_stale_read(slow.violation), slow.violation);
}

BOOST_AUTO_TEST_CASE(lease_reads_within_the_drift_bound_and_without_pauses_are_never_stale) {
  // At the edge of the bound: the peers' clocks run 9/8 as fast as the
  // leader's (election_ticks - 1 over election_ticks - 2).
  for (std::uint64_t seed : {41u, 42u, 43u, 44u, 45u}) {
    auto edge = isolated_leader_race(read_mode::lease, 0.8, 0.9, seed);
    BOOST_TEST(edge.others_committed_more, "seed " << seed);
    BOOST_TEST(edge.reads_served_by_old_leader > 0u, "seed " << seed); // the lease served
    BOOST_TEST(edge.violation == "", "seed " << seed);
  }
}

BOOST_AUTO_TEST_SUITE_END()
