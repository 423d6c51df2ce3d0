// Memory backend throughput and footprint, as users see it: gets and
// updates per second from blocking code and from CAF actors, cached gets,
// and the memory a live ref costs. Prints figures; asserts nothing.
//
//   actors_bench [seconds-per-phase=2] [refs=100000]

#include "actor_load.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "dref/store/named_commands.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono;
using counter = dref::ref<std::int64_t>;

namespace {

long resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// Runs op on `threads` threads until `phase` has passed; returns ops/s.
double from_threads(int threads, duration<double> phase, const std::function<void(int)>& op) {
  std::atomic<bool> stop{false};
  std::atomic<long> total{0};
  std::vector<std::thread> workers;
  auto start = steady_clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        op(t);
        ++n;
      }
      total += n;
    });
  std::this_thread::sleep_for(phase);
  stop = true;
  for (auto& w : workers)
    w.join();
  return static_cast<double>(total) / duration<double>(steady_clock::now() - start).count();
}

// Answers/s of `actors` actors, one request in flight each.
template <class Issue>
double from_actors(caf::actor_system& sys, int actors, duration<double> phase, Issue issue) {
  return dref::bench::from_actors(
             sys, actors, phase,
             [issue](caf::event_based_actor* self, int a, std::function<void(bool)> done) {
               issue(self, a, [done] { done(true); });
             })
      .per_second;
}

// goal: the rate bench/README.md aims at (issue "Speed"); 0: none.
void print(const char* what, double per_second, double goal = 0) {
  std::printf("  %-46s %12.0f /s", what, per_second);
  if (goal > 0)
    std::printf("   goal >= %.0fk/s %s", goal / 1000, per_second >= goal ? "met" : "not met");
  std::printf("\n");
}

} // namespace

int main(int argc, char** argv) {
  duration<double> phase{argc > 1 ? std::stod(argv[1]) : 2.0};
  long ref_count = argc > 2 ? std::stol(argv[2]) : 100000;
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  {
    dref::context ctx{sys};
    constexpr int refs = 64;
    std::vector<counter> counters;
    for (int i = 0; i < refs; ++i)
      counters.push_back(ctx.make<std::int64_t>(0, dref::manual_id("bench/c" + std::to_string(i))));
    auto on_error = [](const dref::error& e) {
      std::fprintf(stderr, "actors_bench: %s\n", e.to_string().c_str());
    };

    std::printf("memory backend, %u hardware threads, %.1f s per phase\n",
                std::thread::hardware_concurrency(), phase.count());
    std::printf("blocking code:\n");
    print("get() (linearizable), 4 threads",
          from_threads(4, phase, [&](int t) { (void)counters[t].get(); }));
    print("get_cached(), 2 threads",
          from_threads(2, phase, [&](int t) { (void)counters[t].get_cached(); }));
    print("update(+1), 4 threads, own ref each", from_threads(4, phase, [&](int t) {
            counters[t].update([](std::int64_t n) { return n + 1; });
          }));
    print("update(+1), 4 threads, one ref", from_threads(4, phase, [&](int) {
            counters[0].update([](std::int64_t n) { return n + 1; });
          }));
    auto one = dref::store::encode_i64(1);
    print("try_run(add_i64, 1), 4 threads, own ref each",
          from_threads(4, phase, [&](int t) { (void)counters[t].try_run("add_i64", one); }));
    std::printf("actors (one request in flight each):\n");
    for (int actors : {1, 64}) {
      auto label = "get(self), " + std::to_string(actors) + " actors";
      print(label.c_str(),
            from_actors(sys, actors, phase,
                        [&](caf::event_based_actor* self, int a, std::function<void()> done) {
                          counters[a % refs].get(self).then([done](std::int64_t) { done(); },
                                                            on_error);
                        }),
            actors == 64 ? 1'000'000 : 0);
    }
    for (int actors : {1, 64}) {
      auto label = "update_and_get(self, +1), " + std::to_string(actors) + " actors, own ref";
      print(label.c_str(),
            from_actors(sys, actors, phase,
                        [&](caf::event_based_actor* self, int a, std::function<void()> done) {
                          counters[a % refs]
                              .update_and_get(self, [](std::int64_t n) { return n + 1; })
                              .then([done](std::int64_t) { done(); }, on_error);
                        }),
            actors == 64 ? 300'000 : 0);
    }
    for (int actors : {1, 64}) {
      auto label = "run(self, add_i64, 1), " + std::to_string(actors) + " actors, own ref";
      print(label.c_str(),
            from_actors(sys, actors, phase,
                        [&](caf::event_based_actor* self, int a, std::function<void()> done) {
                          counters[a % refs]
                              .run(self, "add_i64", one)
                              .then([done](const dref::versioned<std::int64_t>&) { done(); },
                                    on_error);
                        }));
    }
    print("update_and_get(self, +1), 64 actors, one ref",
          from_actors(sys, 64, phase,
                      [&](caf::event_based_actor* self, int, std::function<void()> done) {
                        counters[0]
                            .update_and_get(self, [](std::int64_t n) { return n + 1; })
                            .then([done](std::int64_t) { done(); }, on_error);
                      }));

    std::printf("footprint:\n");
    auto before = resident_bytes();
    auto made_at = steady_clock::now();
    std::vector<counter> many;
    many.reserve(static_cast<std::size_t>(ref_count));
    for (long i = 0; i < ref_count; ++i)
      many.push_back(ctx.make<std::int64_t>(i, dref::manual_id("bench/many/" + std::to_string(i))));
    auto made = duration<double>(steady_clock::now() - made_at).count();
    auto after = resident_bytes();
    std::printf("  %ld refs made in %.2f s (%.0f makes/s); resident +%.1f MB, %.0f bytes per ref\n",
                ref_count, made, static_cast<double>(ref_count) / made,
                static_cast<double>(after - before) / 1e6,
                static_cast<double>(after - before) / static_cast<double>(ref_count));
  }
  return 0;
}
