// Leader election: three nodes campaign for one election. The leader works
// until its term is cancelled (it resigns, or its node crashes and its
// session lapses); then the next candidate takes over. A separate ref shows
// an effectful update: the "I am the leader" line is printed by exactly one
// of the racing nodes, however often their update functions are retried.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::mutex out_mutex;
void say(const std::string& line) {
  std::lock_guard guard{out_mutex};
  std::cout << line << std::endl;
}

template <class Condition>
bool eventually(Condition condition) {
  for (int i = 0; i < 5000 && !condition(); ++i)
    std::this_thread::sleep_for(2ms);
  return condition();
}

} // namespace

int main() {
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  auto cluster = dref::memory_backend::start(sys);
  dref::context_options options;
  options.session_ttl = 500ms;
  std::vector<std::unique_ptr<dref::context>> nodes;
  for (int i = 0; i < 3; ++i)
    nodes.push_back(std::make_unique<dref::context>(sys, cluster, options));
  int failures = 0;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) {
      std::cerr << "leader_election: " << what << "\n";
      ++failures;
    }
  };
  try {
    // 1. Effectful claim: three nodes race, one effect runs.
    auto claim = nodes[0]->make<std::string>("", dref::manual_id("demo/claimed-by"));
    std::atomic<int> announcements{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < 3; ++i)
      racers.emplace_back([&, i] {
        auto mine = nodes[i]->existing<std::string>(dref::manual_id("demo/claimed-by"));
        auto me = "node-" + std::to_string(i);
        mine.update_effect([&](const std::string& holder) -> dref::with_effect<std::string> {
          if (!holder.empty())
            return {holder, {}};
          return {me, [&, me] {
                    ++announcements;
                    say(me + ": I am the leader (claimed through an effectful update)");
                  }};
        });
      });
    for (auto& t : racers)
      t.join();
    check(announcements == 1,
          "the claim's effect ran " + std::to_string(announcements.load()) + " times");

    // 2. Elections: terms with cancellation.
    std::vector<dref::election> candidates;
    std::atomic<int> terms{0};
    for (int i = 0; i < 3; ++i) {
      candidates.push_back(
          nodes[i]->join_election(dref::manual_id("demo/election"), "node-" + std::to_string(i)));
      auto name = candidates.back().candidate();
      candidates.back().when_elected([name, &terms](dref::cancellation stop) {
        ++terms;
        say(name + ": elected, working");
        stop.wait();
        say(name + ": term over, stopped working");
      });
    }
    auto leaders = [&] {
      int n = 0;
      for (auto& c : candidates)
        n += c.is_leader() ? 1 : 0;
      return n;
    };
    auto current = [&]() -> int {
      for (int i = 0; i < 3; ++i)
        if (candidates[i].is_leader())
          return i;
      return -1;
    };
    check(eventually([&] { return leaders() == 1; }), "no leader was elected");
    int first = current();
    say("leader() as seen by node-2: " + candidates[2].leader().value_or("(none)"));
    candidates[first].resign();
    check(eventually([&] { return leaders() == 1 && current() != first; }),
          "resign did not pass leadership on");
    int second = current();
    say("node-" + std::to_string(second) + " leads after node-" + std::to_string(first) +
        " resigned");
    // A crash: the node stops renewing its session; after the TTL the next
    // candidate leads.
    auto crashed_at = std::chrono::steady_clock::now();
    nodes[second]->abandon();
    check(eventually([&] { return !candidates[second].is_leader() && leaders() == 1; }),
          "nobody took over from the crashed leader, or it was not told");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - crashed_at);
    say("node-" + std::to_string(current()) + " took over " + std::to_string(took.count()) +
        " ms after node-" + std::to_string(second) + " crashed (session TTL 500 ms)");
    // Each term's callback starts on its own thread, maybe a moment after
    // is_leader() turned true.
    check(eventually([&] { return terms >= 3; }),
          "expected at least three terms, saw " + std::to_string(terms.load()));
    candidates.clear();
  } catch (const dref::error_exception& e) {
    std::cerr << "leader_election: " << e.what() << "\n";
    return 1;
  }
  nodes.clear();
  return failures == 0 ? 0 : 1;
}
