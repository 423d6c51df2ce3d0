// Fail-stop with real dref-node processes: the leader's WAL fsync fails
// (the test-only failpoint failpoints.fail_fsync_after) while a client
// writes. Its process must exit 3 within a second, saying why on stderr;
// no write the client saw acknowledged may be lost; and the member, started
// again without the failpoint, recovers from its data directory and catches
// up. A clean shutdown (SIGTERM) still exits 0.

#include "process_cluster.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

using namespace dref;
using namespace std::chrono_literals;
using test::file_text;
using test::process_cluster;

namespace {

using wall_clock = std::chrono::system_clock;

// The time stamp of the first log line containing `what` (dref-node's log
// lines start "2026-11-25T10:00:00.123Z"), if there is one.
std::optional<wall_clock::time_point> logged_at(const std::string& log, const std::string& what) {
  auto found = log.find(what);
  if (found == std::string::npos)
    return std::nullopt;
  auto line_start = log.rfind('\n', found);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  std::tm utc{};
  int millis = 0;
  auto line = log.substr(line_start, 24);
  if (line.size() < 24 || !::strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &utc) ||
      std::sscanf(line.c_str() + 20, "%3d", &millis) != 1)
    return std::nullopt;
  return wall_clock::from_time_t(::timegm(&utc)) + std::chrono::milliseconds{millis};
}

// Waits until member i has applied at least `index`.
bool applied_reaches(process_cluster& c, std::size_t i, std::uint64_t index,
                     std::chrono::seconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto st = c.members[i].status(c.sys, 2s); st && st->applied_index >= index)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::uint64_t commit_index_of(process_cluster& c, std::size_t i) {
  auto st = c.members[i].status(c.sys, 5s);
  BOOST_REQUIRE_MESSAGE(st.has_value(), "status of member " << i);
  return st->commit_index;
}

// Client writes, each to a key of its own, from threads writing through
// the surviving members (they forward to the leader): which ones were
// acknowledged, and how many ended with an error (outcome unknown).
struct writers {
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::mutex mutex;
  std::map<int, std::string> acknowledged; // key number -> member written through
  std::vector<std::thread> threads;

  void start(process_cluster& c, const std::vector<std::size_t>& through) {
    for (auto member : through)
      threads.emplace_back([this, &c, member] {
        while (!stop) {
          int n = next++;
          try {
            c.ctx(member).make<int>(n, manual_id("failstop/" + std::to_string(n)));
            std::lock_guard guard{mutex};
            acknowledged.emplace(n, c.name(member));
          } catch (const std::exception&) {
            ++failed; // a timeout or unavailable: it may or may not have happened
          }
        }
      });
  }
  std::size_t acked() {
    std::lock_guard guard{mutex};
    return acknowledged.size();
  }
  void finish() {
    stop = true;
    for (auto& t : threads)
      t.join();
    threads.clear();
  }
  ~writers() { finish(); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(raft_fail_stop)

BOOST_AUTO_TEST_CASE(a_leader_whose_fsync_fails_exits_3_and_loses_no_acknowledged_write) {
  process_cluster c;
  auto leader = c.leader(10s);
  BOOST_REQUIRE(leader);
  auto failing = *leader;
  std::vector<std::size_t> others;
  for (std::size_t i = 0; i < 3; ++i)
    if (i != failing)
      others.push_back(i);
  (void)c.ctx(others[0]).make<int>(-1, manual_id("failstop/before"));

  // A clean shutdown still exits 0; then the same member comes back with a
  // failpoint: its 40th WAL fsync from now fails. Catching up and taking
  // the lead cost a handful; the writes below use up the rest.
  int clean = c.nodes[failing]->stop();
  BOOST_TEST(WIFEXITED(clean));
  BOOST_TEST(WEXITSTATUS(clean) == 0);
  c.restart(failing, {"--failpoints-fail-fsync-after", "40"});
  BOOST_REQUIRE(applied_reaches(c, failing, commit_index_of(c, others[0]), 20s));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  bool leads = false;
  while (!leads && std::chrono::steady_clock::now() < deadline && c.nodes[failing]->running()) {
    (void)c.members[others[0]].transfer_leadership(c.sys, c.name(failing), 5s);
    auto st = c.members[failing].status(c.sys, 2s);
    leads = st && st->role == "leader";
  }
  BOOST_REQUIRE_MESSAGE(leads, "the member with the failpoint leads");

  writers load;
  load.start(c, others);
  // Its process must go, on its own, while the writes go on.
  deadline = std::chrono::steady_clock::now() + 60s;
  while (c.nodes[failing]->running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  auto exit_seen = wall_clock::now();
  BOOST_REQUIRE_MESSAGE(!c.nodes[failing]->running(), "the member with the failed fsync exited");
  auto acked_at_exit = load.acked();
  // Writes resume through the new leader.
  deadline = std::chrono::steady_clock::now() + 20s;
  while (load.acked() < acked_at_exit + 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  load.finish();
  BOOST_TEST(load.acked() >= acked_at_exit + 20);

  int status = c.nodes[failing]->stop();
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
  auto log = file_text(c.root / (c.name(failing) + ".log"));
  BOOST_TEST(log.find("member '" + c.name(failing) + "' stopped: cannot fdatasync") !=
                 std::string::npos,
             log);
  BOOST_TEST(log.find("Input/output error; exiting with code 3") != std::string::npos, log);
  auto failed_at = logged_at(log, " stops: cannot fdatasync");
  BOOST_REQUIRE_MESSAGE(failed_at, log);
  auto exit_ms = std::chrono::duration_cast<std::chrono::milliseconds>(exit_seen - *failed_at);
  std::cout << "fsync failure on the leader: process gone " << exit_ms.count()
            << " ms after the failure; " << acked_at_exit << " writes acknowledged before, "
            << load.acked() << " in all, " << load.failed << " with an unknown outcome\n";
  BOOST_TEST(exit_ms.count() <= 1000);
  BOOST_TEST(acked_at_exit > 0u); // it led while writes were acknowledged

  // Every acknowledged write is there, on both remaining members.
  std::size_t missing = 0;
  for (const auto& [n, through] : load.acknowledged)
    for (auto i : others) {
      auto value = c.ctx(i).existing<int>(manual_id("failstop/" + std::to_string(n))).try_get(5s);
      if (!value || *value != n) {
        ++missing;
        BOOST_TEST_MESSAGE("write " << n << " (through " << through << ") missing on "
                                    << c.name(i));
      }
    }
  BOOST_TEST(missing == 0u);

  // Started again without the failpoint, it recovers and catches up.
  BOOST_REQUIRE(!load.acknowledged.empty());
  c.restart(failing);
  auto target = commit_index_of(c, others[0]);
  BOOST_TEST(applied_reaches(c, failing, target, 20s));
  auto last = load.acknowledged.rbegin()->first;
  BOOST_TEST(c.ctx(failing).existing<int>(manual_id("failstop/" + std::to_string(last))).get() ==
             last);
  BOOST_TEST(c.nodes[failing]->running());
}

BOOST_AUTO_TEST_SUITE_END()
