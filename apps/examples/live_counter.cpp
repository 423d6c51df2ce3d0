// A live counter: CAF actors on two nodes count page views through the
// async API (no thread blocks while a request is in flight); a dashboard on
// a third node watches the counter with on_change and reads it cheaply with
// get_cached.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using counter_ref = dref::ref<std::int64_t>;

namespace {

// An actor that counts `views` page views, one async update at a time.
caf::behavior page_server(caf::event_based_actor* self, counter_ref views_ref, int views,
                          std::atomic<int>* done, std::atomic<int>* failed) {
  auto next = std::make_shared<std::function<void(int)>>();
  *next = [self, views_ref, done, failed, weak = std::weak_ptr{next}](int left) {
    if (left == 0) {
      ++*done;
      return self->quit();
    }
    auto again = weak.lock();
    views_ref.update_and_get(self, [](std::int64_t n) { return n + 1; })
        .then([again, left](std::int64_t) { (*again)(left - 1); },
              [self, failed](const dref::error& e) {
                std::cerr << "live_counter: " << e.to_string() << "\n";
                ++*failed;
                self->quit();
              });
  };
  (*next)(views);
  return {[](int) {}};
}

} // namespace

int main() {
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  auto cluster = dref::memory_backend::start(sys);
  std::vector<std::unique_ptr<dref::context>> nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(std::make_unique<dref::context>(sys, cluster));
  constexpr int servers = 20;
  constexpr int views_each = 50;
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  std::int64_t final_value = 0;
  try {
    const auto id = dref::manual_id("demo/page-views");
    auto dashboard = nodes[2]->make<std::int64_t>(0, id);
    std::atomic<std::int64_t> last_shown{0};
    std::atomic<int> went_back{0};
    auto watching = dashboard.on_change([&](std::int64_t before, std::int64_t after) {
      // Updates queued on one node commit together (one write for many
      // increments), so a change may add more than one; never less.
      if (after <= before)
        ++went_back;
      if (after / 100 != before / 100)
        std::cout << "dashboard: " << after << " views" << std::endl;
      last_shown = after;
    });
    for (int s = 0; s < servers; ++s)
      sys.spawn(page_server, nodes[s % 2]->existing<std::int64_t>(id), views_each, &done, &failed);
    while (done + failed < servers)
      std::this_thread::sleep_for(5ms);
    final_value = dashboard.get();
    for (int i = 0; i < 1000 && dashboard.get_cached() != final_value; ++i)
      std::this_thread::sleep_for(2ms);
    std::cout << "final: " << final_value << " views (get_cached " << dashboard.get_cached()
              << "), " << failed << " failed servers" << std::endl;
    if (went_back != 0)
      std::cerr << "live_counter: on_change saw the counter go back\n";
    if (final_value != servers * views_each || failed != 0 || went_back != 0 ||
        dashboard.get_cached() != final_value) {
      std::cerr << "live_counter: lost or extra views\n";
      return 1;
    }
  } catch (const dref::error_exception& e) {
    std::cerr << "live_counter: " << e.what() << "\n";
    return 1;
  }
  nodes.clear();
  return 0;
}
