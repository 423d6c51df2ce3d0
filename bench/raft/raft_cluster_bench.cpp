// A 3-member raft cluster of dref-node processes on loopback, fsync on
// (always, in dref-node), data directories on the temp directory's disk.
// This process is the cluster's client, through the public API, the way an
// application reaches members over the network. Prints figures; asserts
// nothing.
//
//   raft_cluster_bench [seconds-per-phase=3] [restart-entries=1000000] [failovers=3]
//
// DREF_NODE_BIN overrides the dref-node the build points at; TMPDIR picks
// the disk; DREF_BENCH_KEEP=1 keeps the members' data directories and logs.

#include "actor_load.hpp"
#include "bench_cluster.hpp"
#include "child_process.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "dref/store/named_commands.hpp"
#include "fsync_probe.hpp"

#include <algorithm>
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono;
using counter = dref::ref<std::int64_t>;
using dref::bench::cluster;
using dref::test::child_process;

namespace {

constexpr int counters_per_cluster = 64;

double ms_since(steady_clock::time_point t) {
  return duration<double, std::milli>(steady_clock::now() - t).count();
}

std::vector<counter> make_counters(cluster& c, int via) {
  std::vector<counter> made;
  for (int i = 0; i < counters_per_cluster; ++i)
    made.push_back(
        c.ctx(via).make<std::int64_t>(0, dref::manual_id("bench/c" + std::to_string(i))));
  return made;
}

// The same counters, seen through member `via`.
std::vector<counter> counters_via(cluster& c, int via) {
  std::vector<counter> seen;
  for (int i = 0; i < counters_per_cluster; ++i)
    seen.push_back(
        c.ctx(via).existing<std::int64_t>(dref::manual_id("bench/c" + std::to_string(i))));
  return seen;
}

const std::string one = dref::store::encode_i64(1);

using dref::bench::actor_load;
using dref::bench::from_actors;

// Increments spread over the counters, through every given member.
actor_load increments(caf::actor_system& sys, std::vector<std::vector<counter>>& via, int actors,
                      duration<double> phase, long until = 0, int in_flight = 1) {
  return from_actors(
      sys, actors, phase,
      [&](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
        auto& counters = via[static_cast<std::size_t>(a) % via.size()];
        counters[static_cast<std::size_t>(a) % counters.size()]
            .run(self, "add_i64", one)
            .then([done](const dref::versioned<std::int64_t>&) { done(true); },
                  [done](const dref::error&) { done(false); });
      },
      until, in_flight);
}

// Linearizable gets spread over the counters, through every given member.
actor_load gets(caf::actor_system& sys, std::vector<std::vector<counter>>& via, int actors,
                duration<double> phase, int in_flight = 1) {
  return from_actors(
      sys, actors, phase,
      [&](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
        auto& counters = via[static_cast<std::size_t>(a) % via.size()];
        counters[static_cast<std::size_t>(a) % counters.size()].get(self).then(
            [done](std::int64_t) { done(true); }, [done](const dref::error&) { done(false); });
      },
      0, in_flight);
}

// The goals of issue "Speed" (bench/README.md), printed beside the figures.
constexpr double goal_per_second = 100'000;
constexpr double goal_commit_p50_ms = 1.0;

std::int64_t sum_of(const std::vector<counter>& counters) {
  std::int64_t sum = 0;
  for (const auto& c : counters)
    sum += c.get();
  return sum;
}

struct latencies {
  std::vector<double> ms;
  double at(double q) {
    std::sort(ms.begin(), ms.end());
    return ms.empty() ? 0
                      : ms[std::min(ms.size() - 1,
                                    static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
  }
};

double client_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The CPU a phase cost, per answer: where the cores went.
template <class Phase>
actor_load measured(cluster& c, const char* what, Phase phase) {
  auto members_before = c.members_cpu_seconds();
  auto client_before = client_cpu_seconds();
  actor_load r = phase();
  auto per_answer = [&](double seconds) {
    return r.answers > 0 ? seconds * 1e6 / static_cast<double>(r.answers) : 0.0;
  };
  std::printf("  %-58s %10.0f /s  goal >= %.0fk/s %s  (%ld answers, %ld errors; CPU per answer: "
              "members %.0f us, client %.0f us)\n",
              what, r.per_second, goal_per_second / 1000,
              r.per_second >= goal_per_second ? "met" : "not met", r.answers, r.errors,
              per_answer(c.members_cpu_seconds() - members_before),
              per_answer(client_cpu_seconds() - client_before));
  return r;
}

// One blocking add_i64 at a time through member `via`.
latencies unloaded_commits(cluster& c, int via, int samples) {
  auto counter = c.ctx(via).existing<std::int64_t>(dref::manual_id("bench/c0"));
  latencies l;
  for (int i = 0; i < samples; ++i) {
    auto t = steady_clock::now();
    counter.try_run("add_i64", one).value();
    l.ms.push_back(ms_since(t));
  }
  return l;
}

// Returns the p50 via the leader.
double commit_latency(cluster& c, int leader, int follower, int samples) {
  std::printf("commit latency, unloaded (one blocking add_i64 at a time, %d each):\n", samples);
  double leader_p50 = 0;
  for (auto [via, label] :
       {std::pair{leader, "via the leader"}, std::pair{follower, "via a follower (forwarded)"}}) {
    auto l = unloaded_commits(c, via, samples);
    auto p50 = l.at(0.5);
    if (via == leader)
      leader_p50 = p50;
    std::printf("  %-30s p50 %.3f ms  p99 %.3f ms  max %.3f ms  (goal: p50 <= %.0f ms via the "
                "leader%s)\n",
                label, p50, l.at(0.99), l.at(1.0), goal_commit_p50_ms,
                via != leader               ? ""
                : p50 <= goal_commit_p50_ms ? ": met"
                                            : ": not met");
  }
  return leader_p50;
}

// The share of the unloaded commit that is the disk: the disk's own sync
// times, and the same commits with the members' data on tmpfs.
void where_the_unloaded_commit_goes(caf::actor_system& sys, double on_disk_p50, int samples) {
  std::printf("where the unloaded commit's time goes:\n");
  auto dir = std::filesystem::temp_directory_path();
  latencies alone{dref::bench::fdatasync_ms(dir, 1, 500)};
  latencies three{dref::bench::fdatasync_ms(dir, 3, 500)};
  std::printf("  this disk's fdatasync after a 300-byte append: one writer p50 %.3f ms p90 %.3f ms;"
              " three at once, as the members: p50 %.3f ms p90 %.3f ms\n",
              alone.at(0.5), alone.at(0.9), three.at(0.5), three.at(0.9));
  const std::filesystem::path tmpfs{"/dev/shm"};
  if (!std::filesystem::is_directory(tmpfs) || ::access(tmpfs.c_str(), W_OK) != 0) {
    std::printf("  (no writable /dev/shm: the same commits without the disk are not measured)\n");
    return;
  }
  cluster c{sys, "tmpfs", {}, tmpfs};
  int leader = c.wait_for_leader();
  make_counters(c, leader);
  auto p50 = unloaded_commits(c, leader, samples).at(0.5);
  std::printf("  the same commits via the leader with the members' data on tmpfs (%s, a sync costs "
              "nothing): p50 %.3f ms, so %.3f of the %.3f ms on disk are the disk\n",
              tmpfs.c_str(), p50, std::max(0.0, on_disk_p50 - p50), on_disk_p50);
}

void throughput(caf::actor_system& sys, cluster& c, int leader, duration<double> phase) {
  auto reference = counters_via(c, leader);
  std::vector<std::vector<counter>> via_leader{counters_via(c, leader)};
  std::vector<std::vector<counter>> via_all{counters_via(c, 0), counters_via(c, 1),
                                            counters_via(c, 2)};
  auto before = sum_of(reference);
  long acknowledged = 0;
  std::printf("committed add_i64 increments (one in flight per actor unless said, %d counters):\n",
              counters_per_cluster);
  for (int actors : {16, 256}) {
    auto label = std::to_string(actors) + " actors on the leader's member";
    acknowledged += measured(c, label.c_str(), [&] {
                      return increments(sys, via_leader, actors, phase);
                    }).answers;
  }
  acknowledged += measured(c, "256 actors spread over the 3 members", [&] {
                    return increments(sys, via_all, 256, phase);
                  }).answers;
  // A client a user would write: a few actors, many requests in flight each.
  acknowledged += measured(c, "4 actors x 64 in flight on the leader's member", [&] {
                    return increments(sys, via_leader, 4, phase, 0, 64);
                  }).answers;
  auto after = sum_of(reference);
  std::printf("  counters grew by %lld; acknowledged increments: %ld%s\n",
              static_cast<long long>(after - before), acknowledged,
              after - before >= acknowledged ? "" : "  (LOST ACKNOWLEDGED WRITES)");

  std::printf("linearizable get() (ReadIndex):\n");
  for (auto [members, label] : {std::pair{&via_leader, "256 actors on the leader's member"},
                                std::pair{&via_all, "256 actors spread over the 3 members"}})
    measured(c, label, [&, members = members] { return gets(sys, *members, 256, phase); });
  measured(c, "4 actors x 64 in flight on the leader's member",
           [&] { return gets(sys, via_leader, 4, phase, 64); });
}

// Writers on the two other members keep committing while the leader is
// killed; figures: until another member leads, until writes commit again.
void failovers(cluster& c, int rounds) {
  std::printf(
      "failover after kill -9 of the leader (writers on both other members, defaults: election "
      "timeout 300 ms randomized to 600 ms, heartbeat 50 ms):\n");
  latencies elected, resumed, caught_up;
  for (int round = 0; round < rounds; ++round) {
    int leader = c.wait_for_leader();
    std::vector<int> others;
    for (int i = 0; i < 3; ++i)
      if (i != leader)
        others.push_back(i);
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::optional<steady_clock::time_point> killed_at;
    std::optional<steady_clock::time_point> first_commit_after;
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
      writers.emplace_back([&, w] {
        auto counter = c.ctx(others[static_cast<std::size_t>(w) % 2])
                           .existing<std::int64_t>(dref::manual_id("bench/c" + std::to_string(w)));
        while (!stop) {
          auto issued = steady_clock::now();
          auto ran = counter.try_run("add_i64", one, milliseconds{3000});
          auto done = steady_clock::now();
          std::lock_guard guard{mutex};
          if (ran && killed_at && issued >= *killed_at &&
              (!first_commit_after || done < *first_commit_after))
            first_commit_after = done;
        }
      });
    std::this_thread::sleep_for(milliseconds{300});
    {
      std::lock_guard guard{mutex};
      killed_at = steady_clock::now();
    }
    c.kill_hard(leader);
    auto kill = *killed_at;
    std::optional<double> new_leader_ms;
    while (ms_since(kill) < 10000) {
      for (int i : others)
        if (auto s = c.status(i, milliseconds{200}); s && s->role == "leader" && !new_leader_ms)
          new_leader_ms = ms_since(kill);
      {
        std::lock_guard guard{mutex};
        if (first_commit_after && new_leader_ms)
          break;
      }
      std::this_thread::sleep_for(milliseconds{1});
    }
    stop = true;
    for (auto& w : writers)
      w.join();
    double resumed_ms =
        first_commit_after ? duration<double, std::milli>(*first_commit_after - kill).count() : -1;
    std::printf("  round %d: killed node-%d; another member led after %.0f ms; writes committed "
                "again after %.0f ms\n",
                round + 1, leader + 1, new_leader_ms.value_or(-1), resumed_ms);
    elected.ms.push_back(new_leader_ms.value_or(-1));
    resumed.ms.push_back(resumed_ms);
    // The killed member comes back from its data directory and catches up.
    auto restarted = steady_clock::now();
    c.spawn(leader);
    c.connect(leader);
    auto target = c.status(c.wait_for_leader())->commit_index;
    while (true) {
      if (auto s = c.status(leader); s && s->applied_index >= target)
        break;
      std::this_thread::sleep_for(milliseconds{5});
    }
    caught_up.ms.push_back(ms_since(restarted));
  }
  std::printf("  elected:  min %.0f  median %.0f  max %.0f ms\n", elected.at(0), elected.at(0.5),
              elected.at(1.0));
  std::printf("  resumed:  min %.0f  median %.0f  max %.0f ms\n", resumed.at(0), resumed.at(0.5),
              resumed.at(1.0));
  std::printf("  the killed member restarted and caught up in: median %.0f ms\n",
              caught_up.at(0.5));
}

std::uintmax_t bytes_under(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      total += e.file_size();
  return total;
}

// A cluster that never snapshots gets `entries` increments into its log, is
// stopped and started again; figures: until it serves a linearizable read
// and a write, until every member applied its whole log.
void restart_with_log(caf::actor_system& sys, long entries, duration<double> phase) {
  std::printf(
      "restart with %ld entries in the log (no snapshot, whole cluster stopped with SIGTERM):\n",
      entries);
  cluster c{sys, "restart", {"--snapshot-every", "1000000000"}};
  int leader = c.wait_for_leader();
  make_counters(c, leader);
  std::vector<std::vector<counter>> via_leader{counters_via(c, leader)};
  auto filled_at = steady_clock::now();
  auto r = increments(sys, via_leader, 256, phase, entries);
  std::printf("  filled in %.1f s (%.0f increments/s, %ld errors)\n", ms_since(filled_at) / 1000,
              r.per_second, r.errors);
  auto last = c.status(leader)->commit_index;
  for (int i = 0; i < 3; ++i)
    c.stop(i);
  std::printf("  log: last index %llu, %.1f MB on disk per member\n",
              static_cast<unsigned long long>(last),
              static_cast<double>(bytes_under(c.root() / "node-1")) / 1e6);
  auto started = steady_clock::now();
  for (int i = 0; i < 3; ++i)
    c.spawn(i);
  for (int i = 0; i < 3; ++i)
    c.connect(i);
  std::printf("  all 3 listening after %.0f ms\n", ms_since(started));
  auto counter0 = c.ctx(0).existing<std::int64_t>(dref::manual_id("bench/c0"));
  while (!counter0.try_get(seconds{2}))
    ;
  std::printf("  first linearizable get answered after %.0f ms\n", ms_since(started));
  while (!counter0.try_run("add_i64", one, seconds{2}))
    ;
  std::printf("  first write committed after %.0f ms\n", ms_since(started));
  for (int i = 0; i < 3; ++i)
    while (true) {
      if (auto s = c.status(i); s && s->applied_index >= last)
        break;
      std::this_thread::sleep_for(milliseconds{5});
    }
  std::printf("  every member applied its whole log after %.0f ms\n", ms_since(started));
  std::int64_t sum = 0;
  for (const auto& counter : counters_via(c, 0))
    sum += counter.get();
  std::printf(
      "  counters hold %lld increments after the restart (acknowledged before it: %ld, +1 since)\n",
      static_cast<long long>(sum), r.answers);
}

} // namespace

int main(int argc, char** argv) {
  duration<double> phase{argc > 1 ? std::stod(argv[1]) : 3.0};
  long restart_entries = argc > 2 ? std::stol(argv[2]) : 1000000;
  int failover_rounds = argc > 3 ? std::stoi(argv[3]) : 3;
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // figures show up as they come, also in a pipe
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  std::printf(
      "raft backend: 3 dref-node processes on loopback, fsync on, data in %s; %u hardware threads "
      "shared by the members and this client; %.1f s per phase\n",
      std::filesystem::temp_directory_path().c_str(), std::thread::hardware_concurrency(),
      phase.count());
  constexpr int commit_samples = 2000;
  double on_disk_p50 = 0;
  {
    cluster c{sys, "main", {}};
    int leader = c.wait_for_leader();
    make_counters(c, leader);
    on_disk_p50 = commit_latency(c, leader, (leader + 1) % 3, commit_samples);
    throughput(sys, c, leader, phase);
    if (failover_rounds > 0)
      failovers(c, failover_rounds);
  }
  where_the_unloaded_commit_goes(sys, on_disk_p50, commit_samples);
  if (restart_entries > 0)
    restart_with_log(sys, restart_entries, phase);
  return 0;
}
