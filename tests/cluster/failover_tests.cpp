// Clients that fail over: a context and drefctl given every endpoint keep
// working when the member they use falls silent (SIGSTOP) or dies (kill -9):
// writes go on, each applied at most once, and watches go on without a gap
// or a repeat.

#include "process_cluster.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

using namespace dref;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::process_cluster;

namespace {

std::vector<config::endpoint> endpoints_of(const process_cluster& c,
                                           std::vector<std::size_t> which) {
  std::vector<config::endpoint> out;
  for (auto i : which)
    out.push_back(config::endpoint{"127.0.0.1", c.ports[i]});
  return out;
}

bool wait_for(const std::function<bool()>& ready, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return ready();
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_failover)

// A member that falls silent (SIGSTOP) is left like one that died: the
// context writing through it moves on, and its watcher resumes at another
// member with the events it missed meanwhile, none twice.
BOOST_AUTO_TEST_CASE(a_context_on_every_endpoint_writes_and_watches_through_a_silent_member) {
  process_cluster c;
  c.make_a_follower(0);
  // The client uses the first endpoint that answers: member 0.
  auto cluster = raft_member::connect(c.sys, endpoints_of(c, {0, 1, 2}), 10s);
  context ctx{c.sys, cluster, process_cluster::options()};
  auto counter = ctx.make<std::int64_t>(0, manual_id("failover/counter"));
  // Another writer, through the other members only: it goes on while
  // member 0 is stopped, so the watcher misses events.
  auto others = raft_member::connect(c.sys, endpoints_of(c, {1, 2}), 10s);
  context other_ctx{c.sys, others, process_cluster::options()};
  auto other_counter = other_ctx.existing<std::int64_t>(manual_id("failover/counter"));

  std::mutex seen_mutex;
  std::vector<std::int64_t> seen; // every value on_change reported, in order
  auto watching = counter.on_change([&](std::int64_t, std::int64_t now) {
    std::lock_guard guard{seen_mutex};
    seen.push_back(now);
  });

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> acked{0};
  std::atomic<std::int64_t> unknown{0};
  auto writer = [&](ref<std::int64_t> r) {
    return std::thread{[&, r] {
      while (!stop) {
        try {
          r.update([](std::int64_t v) { return v + 1; });
          ++acked;
        } catch (const error_exception& ex) {
          ++unknown; // timeout: may or may not have happened
          BOOST_TEST_MESSAGE("write failed: " << ex.error().message);
        }
      }
    }};
  };
  std::atomic<std::int64_t> acked_here{0};
  std::thread mine{[&] {
    while (!stop) {
      try {
        counter.update([](std::int64_t v) { return v + 1; });
        ++acked;
        ++acked_here;
      } catch (const error_exception& ex) {
        ++unknown;
        BOOST_TEST_MESSAGE("write failed: " << ex.error().message);
      }
    }
  }};
  auto theirs = writer(other_counter);
  BOOST_REQUIRE(wait_for([&] { return acked_here.load() >= 20; }, 10s));
  auto mine_before = acked_here.load();
  auto stopped_at = std::chrono::steady_clock::now();
  ::kill(c.nodes[0]->pid(), SIGSTOP);
  bool resumed = wait_for([&] { return acked_here.load() > mine_before + 1; }, 10s);
  auto resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - stopped_at);
  BOOST_TEST_MESSAGE("writes through the client resumed " << resumed_ms.count()
                                                          << " ms after member 0 stopped");
  BOOST_TEST(resumed, "writes never resumed after the member in use fell silent");
  auto acked_after = acked.load();
  (void)wait_for([&] { return acked.load() >= acked_after + 50; }, 10s);
  stop = true;
  mine.join();
  theirs.join();
  ::kill(c.nodes[0]->pid(), SIGCONT);

  auto final_value = counter.get();
  BOOST_TEST_MESSAGE("acknowledged " << acked << ", outcome unknown " << unknown << ", final "
                                     << final_value);
  // Every acknowledged write is there, and nothing more than was attempted.
  BOOST_TEST(final_value >= acked.load());
  BOOST_TEST(final_value <= acked.load() + unknown.load());
  // The watch saw every value, once, in order, the failover included.
  BOOST_TEST(wait_for(
      [&] {
        std::lock_guard guard{seen_mutex};
        return !seen.empty() && seen.back() == final_value;
      },
      10s));
  std::lock_guard guard{seen_mutex};
  std::size_t gaps = 0;
  for (std::size_t i = 1; i < seen.size(); ++i)
    if (seen[i] != seen[i - 1] + 1) {
      ++gaps;
      BOOST_TEST_MESSAGE("watch went from " << seen[i - 1] << " to " << seen[i]);
    }
  BOOST_TEST(gaps == 0u);
  BOOST_TEST(seen.size() == static_cast<std::size_t>(final_value));
}

// drefctl watch --count 40 on every endpoint: the member it uses stops
// (SIGSTOP) while writes go on through the others, then is killed; drefctl
// moves to another member and prints all 40 writes, in order, and exits.
BOOST_AUTO_TEST_CASE(drefctl_watch_prints_every_write_after_kill_9_of_its_member) {
  process_cluster c;
  c.make_a_follower(0);
  auto others = raft_member::connect(c.sys, endpoints_of(c, {1, 2}), 10s);
  context ctx{c.sys, others, process_cluster::options()};
  auto k = ctx.make<std::string, raw_codec>("start", manual_id("failover/k"));
  auto log = c.root / "drefctl-watch.log";
  // drefctl uses the first endpoint that answers: member 0.
  test::child_process watch{{DREFCTL_BIN, "--endpoints", c.endpoints(), "--timeout", "10s", "watch",
                             "failover/k", "--count", "40"},
                            log.string()};
  // The same writes through a prefix watch (a line each: KIND ID VERSION VALUE).
  auto prefix_log = c.root / "drefctl-watch-prefix.log";
  test::child_process prefix_watch{{DREFCTL_BIN, "--endpoints", c.endpoints(), "--timeout", "10s",
                                    "watch", "--prefix", "failover/", "--count", "40"},
                                   prefix_log.string()};
  for (const auto& started : {log, prefix_log})
    BOOST_REQUIRE_MESSAGE(
        wait_for([&] { return test::file_text(started).find("watching") != std::string::npos; },
                 10s),
        "drefctl watch did not start: " << test::file_text(started));
  auto value = [](int i) { return "<value-" + std::to_string(100 + i) + ">"; };
  k.set(value(1));
  ::kill(c.nodes[0]->pid(), SIGSTOP);
  for (int i = 2; i <= 20; ++i)
    k.set(value(i)); // drefctl's member hears none of these
  c.nodes[0]->kill_hard();
  for (int i = 21; i <= 40; ++i)
    k.set(value(i)); // some while drefctl is still finding another member
  for (auto* watching : {&watch, &prefix_watch}) {
    auto& printed_to = watching == &watch ? log : prefix_log;
    bool exited = wait_for([&] { return !watching->running(); }, 30s);
    auto text = test::file_text(printed_to);
    BOOST_TEST(exited, "drefctl watch --count 40 did not exit after 40 writes");
    std::size_t at = 0;
    int missing = 0;
    for (int i = 1; i <= 40; ++i) {
      auto found = text.find(value(i), at);
      BOOST_TEST(found != std::string::npos, "write " << i << " not printed (in order)");
      if (found != std::string::npos)
        at = found;
      else
        ++missing;
    }
    BOOST_TEST(test::count_of(text, "<value-") == 40u);
    if (watching == &prefix_watch)
      BOOST_TEST(test::count_of(text, "written failover/k ") == 40u);
    // Printed only when a check failed: CI keeps the end of a long log, and
    // 80 lines of good output once hid which check of this binary failed.
    if (!exited || missing > 0 || test::count_of(text, "<value-") != 40u)
      BOOST_TEST_MESSAGE(printed_to.filename() << ":\n" << text);
    if (exited) {
      int status = watching->stop();
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }
  }
}

// A member cut off while the others compact their log catches up from a
// snapshot: the events up to it never reach its watchers, so it sends them
// catch-up events instead (it used to send nothing).
BOOST_AUTO_TEST_CASE(a_member_that_installs_a_snapshot_catches_its_watchers_up) {
  process_cluster c{3, {"--snapshot-every", "50"}};
  c.make_a_follower(0);
  auto writer = raft_member::connect(c.sys, endpoints_of(c, {1, 2}), 10s);
  context write_ctx{c.sys, writer, process_cluster::options()};
  auto k = write_ctx.make<std::int64_t>(0, manual_id("failover/snapshot"));
  // The watcher uses member 0 alone.
  context watch_ctx{c.sys, c.members[0], process_cluster::options()};
  std::mutex seen_mutex;
  std::optional<std::int64_t> last_seen;
  auto watching = watch_ctx.existing<std::int64_t>(manual_id("failover/snapshot"))
                      .on_change([&](std::int64_t, std::int64_t now) {
                        std::lock_guard guard{seen_mutex};
                        last_seen = now;
                      });
  // A prefix watcher there too; "failover/gone" is removed while member 0
  // is cut off, so only a catch-up tells it.
  std::map<std::string, std::optional<std::int64_t>> under_prefix; // nullopt: removed
  auto watching_prefix = watch_ctx.watch_prefix<std::int64_t>(
      "failover/", [&](const std::string& id, const change<std::int64_t>& seen) {
        std::lock_guard guard{seen_mutex};
        under_prefix[id] = seen.kind == change_kind::removed ? std::nullopt : seen.new_value;
      });
  auto gone = write_ctx.make<std::int64_t>(7, manual_id("failover/gone"));
  k.set(1);
  BOOST_REQUIRE(wait_for(
      [&] {
        std::lock_guard guard{seen_mutex};
        return last_seen == 1 && under_prefix["failover/gone"] == 7;
      },
      10s));
  for (std::size_t other : {1u, 2u}) {
    c.members[0].set_link_cut(c.name(other), true);
    c.members[other].set_link_cut(c.name(0), true);
  }
  BOOST_TEST(gone.remove()); // first, so that the snapshot member 0 installs holds it
  for (int i = 2; i <= 200; ++i)
    k.set(i);
  for (std::size_t other : {1u, 2u}) {
    c.members[0].set_link_cut(c.name(other), false);
    c.members[other].set_link_cut(c.name(0), false);
  }
  bool caught_up = wait_for(
      [&] {
        std::lock_guard guard{seen_mutex};
        return last_seen == 200;
      },
      15s);
  bool prefix_caught_up = wait_for(
      [&] {
        std::lock_guard guard{seen_mutex};
        return under_prefix["failover/snapshot"] == 200 &&
               under_prefix.count("failover/gone") == 1 &&
               !under_prefix["failover/gone"].has_value();
      },
      15s);
  auto st = c.members[0].status(c.sys, 2s);
  BOOST_REQUIRE(st.has_value());
  BOOST_TEST_MESSAGE("member 0's snapshot index: " << st->snapshot_index);
  BOOST_TEST(st->snapshot_index > 1u, "member 0 caught up without a snapshot");
  std::lock_guard guard{seen_mutex};
  BOOST_TEST(caught_up, "the watcher on member 0 last saw " << last_seen.value_or(-1));
  BOOST_TEST(prefix_caught_up, "the prefix watcher on member 0 last saw failover/snapshot = "
                                   << under_prefix["failover/snapshot"].value_or(-1)
                                   << ", failover/gone "
                                   << (under_prefix["failover/gone"] ? "present" : "removed"));
}

// A leader stopped cleanly (SIGTERM) hands leadership to a follower before
// it exits, as etcd's does: the others need not sit out an election
// timeout, so they name the new leader the moment the old one is gone.
BOOST_AUTO_TEST_CASE(a_leader_stopped_cleanly_hands_over_before_it_exits) {
  process_cluster c;
  auto old = c.leader();
  BOOST_REQUIRE(old);
  auto r = c.ctx((*old + 1) % 3).make<int>(0, manual_id("handover/value"));
  r.set(1);
  BOOST_TEST(c.nodes[*old]->stop() == 0);
  std::set<std::string> named;
  for (std::size_t i = 0; i < 3; ++i) {
    if (i == *old)
      continue;
    auto st = c.members[i].status(c.sys, 2s);
    BOOST_REQUIRE(st.has_value());
    named.insert(st->leader);
  }
  BOOST_TEST_INFO("leaders the others name right after the old one exited");
  BOOST_TEST((named.size() == 1 && !named.count(c.name(*old)) && !named.count("")));
  std::ifstream log{(c.root / (c.name(*old) + ".log")).string()};
  std::string text{std::istreambuf_iterator<char>{log}, {}};
  BOOST_TEST(text.find("hands leadership to") != std::string::npos);
  r.set(2); // and the two go on
  BOOST_TEST(c.ctx((*old + 1) % 3).existing<int>(manual_id("handover/value")).get() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
