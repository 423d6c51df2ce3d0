// A throttled job: three nodes each want to run a nightly-style job, but the
// cluster must run it at most once per period and never twice at a time.
// The lock serializes the nodes; the ref remembers when it last ran; the
// fencing token is what the job would hand to the storage it writes, which
// refuses tokens older than the newest it has seen.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

// The protected resource: refuses writes with a stale fencing token.
struct fenced_store {
  std::mutex mutex;
  std::uint64_t newest_token = 0;
  int writes = 0;
  bool write(std::uint64_t token) {
    std::lock_guard guard{mutex};
    if (token <= newest_token)
      return false;
    newest_token = token;
    ++writes;
    return true;
  }
};

std::int64_t now_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

int main() {
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  auto cluster = dref::memory_backend::start(sys);
  std::vector<std::unique_ptr<dref::context>> nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(std::make_unique<dref::context>(sys, cluster));
  constexpr std::int64_t period_ms = 100;
  constexpr auto run_for = 1s;
  fenced_store storage;
  std::atomic<int> running{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> runs{0};
  std::atomic<int> refused{0};
  try {
    nodes[0]->make<std::int64_t>(0, dref::manual_id("demo/job-last-run"));
    std::vector<std::thread> workers;
    auto deadline = steady_clock::now() + run_for;
    for (int i = 0; i < 3; ++i)
      workers.emplace_back([&, i] {
        auto& node = *nodes[i];
        auto last_run = node.existing<std::int64_t>(dref::manual_id("demo/job-last-run"));
        while (steady_clock::now() < deadline) {
          node.with_lock(dref::manual_id("demo/job-lock"), [&](const dref::lock_guard& held) {
            if (now_ms() - last_run.get() < period_ms)
              return; // ran recently somewhere: skip this round
            if (++running > 1)
              ++overlaps;
            if (storage.write(held.fencing_token()))
              ++runs;
            else
              ++refused;
            std::cout << "node-" << i << ": ran the job with fencing token " << held.fencing_token()
                      << std::endl;
            last_run.set(now_ms());
            --running;
          });
          std::this_thread::sleep_for(10ms);
        }
      });
    for (auto& w : workers)
      w.join();
  } catch (const dref::error_exception& e) {
    std::cerr << "throttled_job: " << e.what() << "\n";
    return 1;
  }
  // At most one run per period, plus the one at the start.
  auto ceiling = static_cast<int>(duration_cast<milliseconds>(run_for).count() / period_ms) + 1;
  std::cout << runs << " runs in " << duration_cast<milliseconds>(run_for).count()
            << " ms (at most " << ceiling << "), " << overlaps << " overlaps, " << refused
            << " stale tokens" << std::endl;
  bool ok = runs >= 2 && runs <= ceiling && overlaps == 0 && refused == 0;
  if (!ok)
    std::cerr << "throttled_job: the lock or the throttle did not hold\n";
  nodes.clear();
  return ok ? 0 : 1;
}
