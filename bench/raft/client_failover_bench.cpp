// A client's failover time: a context given every endpoint of a 3-member
// cluster of dref-node processes uses one member; that member is killed
// (kill -9) while the client writes and watches. Figures: from the kill to
// the client's next acknowledged write, and to its watch's next event.
// Goal: at most 1 s each. The member used alternates between a follower
// and the leader. Prints figures; asserts nothing.
//
//   client_failover_bench [rounds=6]
//
// DREF_NODE_BIN overrides the dref-node the build points at.

#include "bench_cluster.hpp"
#include "dref/actors/node_system.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

using namespace std::chrono;
using dref::bench::cluster;

namespace {

struct figures {
  std::vector<double> ms;
  void print(const char* what) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty())
      return;
    std::printf("  %-34s min %5.0f  median %5.0f  max %5.0f ms   (goal <= 1000 ms)\n", what,
                ms.front(), ms[ms.size() / 2], ms.back());
  }
};

double ms_between(steady_clock::time_point from, steady_clock::time_point to) {
  return duration<double, std::milli>(to - from).count();
}

} // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::stoi(argv[1]) : 6;
  dref::config::node_config node;
  dref::node_system_config cfg{node};
  caf::actor_system sys{cfg};
  cluster c{sys, "failover", {}};
  figures write_after, event_after;
  std::printf("client failover after kill -9 of the member it uses (dref-node defaults):\n");
  for (int round = 0; round < rounds; ++round) {
    int leader = c.wait_for_leader();
    // Even rounds: a follower; odd rounds: the leader.
    int victim = round % 2 == 1 ? leader : (leader + 1) % 3;
    auto client = dref::raft_member::connect(sys, c.endpoints_from(victim), seconds{10});
    dref::context_options options;
    options.request_timeout = seconds{10};
    dref::context ctx{sys, client, options};
    auto counter =
        ctx.make<std::int64_t>(0, dref::manual_id("bench/failover-" + std::to_string(round)));
    std::mutex mutex;
    std::optional<steady_clock::time_point> killed_at, first_ack, first_event;
    auto watching = counter.on_change([&](std::int64_t, std::int64_t) {
      std::lock_guard guard{mutex};
      if (killed_at && !first_event)
        first_event = steady_clock::now();
    });
    std::atomic<bool> stop{false};
    std::thread writer{[&] {
      while (!stop) {
        auto issued = steady_clock::now();
        try {
          counter.update([](std::int64_t v) { return v + 1; });
        } catch (const dref::error_exception&) {
          continue;
        }
        std::lock_guard guard{mutex};
        // The first write sent after the kill (one in flight across it
        // holds the writer until the failover, so this one follows it).
        if (killed_at && issued >= *killed_at && !first_ack)
          first_ack = steady_clock::now();
      }
    }};
    std::this_thread::sleep_for(milliseconds{500});
    {
      std::lock_guard guard{mutex};
      killed_at = steady_clock::now();
    }
    c.kill_hard(victim);
    auto deadline = steady_clock::now() + seconds{15};
    while (steady_clock::now() < deadline) {
      std::lock_guard guard{mutex};
      if (first_ack && first_event)
        break;
      std::this_thread::sleep_for(milliseconds{1});
    }
    stop = true;
    writer.join();
    double w = first_ack ? ms_between(*killed_at, *first_ack) : -1;
    double e = first_event ? ms_between(*killed_at, *first_event) : -1;
    std::printf("  round %d: killed node-%d (%s): next write acknowledged after %.0f ms, next "
                "watch event after %.0f ms\n",
                round + 1, victim + 1, victim == leader ? "leader" : "follower", w, e);
    write_after.ms.push_back(w);
    event_after.ms.push_back(e);
    c.spawn(victim);
    c.connect(victim);
  }
  write_after.print("kill -9 -> next acknowledged write");
  event_after.print("kill -9 -> next watch event");
}
