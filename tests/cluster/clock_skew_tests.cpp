// Session expiry does not follow a member's wall clock: a member whose
// clock runs 60 s ahead (or behind), made leader by a transfer, expires no
// live session and still expires a dead one within TTL + an election
// timeout (the failpoint failpoints.wall_clock_skew_ms skews one member).

#include "process_cluster.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <csignal>

using namespace dref;
using namespace std::chrono_literals;

using test::process_cluster;

namespace {

bool lock_free(context& ctx, const std::string& id) {
  auto got = ctx.try_lock(manual_id(id));
  return got.has_value();
}

void skewed_leader_keeps_live_sessions_and_expires_dead_ones(std::int64_t skew_ms) {
  process_cluster c;
  auto leader = c.leader();
  BOOST_REQUIRE(leader);
  auto skewed = (*leader + 1) % 3;
  c.restart(skewed, {"--failpoints-wall-clock-skew-ms", std::to_string(skew_ms)});
  std::vector<config::endpoint> all;
  for (auto port : c.ports)
    all.push_back(config::endpoint{"127.0.0.1", port});

  // A live session (renewed by this process) holding a lock. Its TTL of 4 s
  // is far below the skew, so a leader going by its wall clock would expire
  // it at once, and long enough that a starved machine (other tests, CPU
  // hogs) still commits a keepalive in time: with 1 s it lapsed, truly.
  auto cluster = raft_member::connect(c.sys, all, 10s);
  auto live_options = process_cluster::options();
  live_options.session_ttl = 4s;
  context live{c.sys, cluster, live_options};
  auto guard = live.lock(manual_id("skew/live"));
  std::atomic<bool> live_lost{false};
  guard.on_lost([&] { live_lost = true; });

  // A dead session: drefctl holds a lock (session TTL 3 s) and is killed.
  auto log = c.root / "drefctl-lock.log";
  auto holder = std::make_unique<test::child_process>(
      std::vector<std::string>{DREFCTL_BIN, "--endpoints", c.endpoints(), "lock", "--ttl", "3s",
                               "skew/dead", "--", "sleep", "30"},
      log.string());
  auto observer = raft_member::connect(c.sys, all, 10s);
  context other{c.sys, observer, process_cluster::options()};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && lock_free(other, "skew/dead"))
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE_MESSAGE(!lock_free(other, "skew/dead"), "drefctl holds skew/dead");

  // Leadership moves to the skewed member; the dead session's holder goes.
  // A transfer gives up after four election timeouts: on a machine loaded
  // by other tests it is asked again, of whoever leads then.
  std::string refused;
  auto give_up = std::chrono::steady_clock::now() + 40s;
  for (auto now_leading = c.leader(); now_leading != skewed; now_leading = c.leader()) {
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < give_up,
                          "leadership reaches the skewed member: " << refused);
    if (!now_leading)
      continue;
    auto moved = c.members[*now_leading].transfer_leadership(c.sys, c.name(skewed), 10s);
    if (!moved)
      refused = moved.error().message;
  }
  auto killed_at = std::chrono::steady_clock::now();
  holder->kill_hard();

  // The dead session expires within its TTL (3 s) + an election timeout
  // (150 ms here), with room for a loaded machine.
  std::optional<std::chrono::milliseconds> freed_after;
  while (std::chrono::steady_clock::now() - killed_at < 10s) {
    if (lock_free(other, "skew/dead")) {
      freed_after = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - killed_at);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST_MESSAGE("skew " << skew_ms << " ms: the dead holder's lock was free "
                             << (freed_after ? freed_after->count() : -1) << " ms after its kill");
  BOOST_TEST(freed_after.has_value(), "the dead session never expired");
  if (freed_after)
    BOOST_TEST(freed_after->count() <= 3000 + 150 + 1500);

  // The live session outlives its TTL under the skewed leader (which has
  // led since before the kill).
  std::this_thread::sleep_for(3s);
  BOOST_TEST(!live_lost.load(), "the live session's lock was reported lost");
  BOOST_TEST(!guard.lost());
  BOOST_TEST(!lock_free(other, "skew/live"), "the live session's lock was taken from it");
  auto st = c.members[skewed].status(c.sys, 2s);
  BOOST_REQUIRE(st.has_value());
  BOOST_TEST(st->role == "leader");
}

} // namespace

BOOST_AUTO_TEST_SUITE(clock_skew)

BOOST_AUTO_TEST_CASE(a_leader_60_s_ahead_expires_no_live_session) {
  skewed_leader_keeps_live_sessions_and_expires_dead_ones(60'000);
}

BOOST_AUTO_TEST_CASE(a_leader_60_s_behind_still_expires_a_dead_session) {
  skewed_leader_keeps_live_sessions_and_expires_dead_ones(-60'000);
}

BOOST_AUTO_TEST_SUITE_END()
