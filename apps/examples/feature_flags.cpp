// Feature flags: one ref holds the flag set (JSON on the wire, readable by
// any tool). Services read it on their hot path with get_cached() (no round
// trip) and react to changes with on_change; an operator flips flags with
// update(), and a validator refuses a malformed set.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "dref/json_codec.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using flags = std::map<std::string, bool>;
using flags_ref = dref::ref<flags, dref::json_codec<flags>>;

int main() {
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  auto cluster = dref::memory_backend::start(sys);
  dref::context operator_node{sys, cluster};
  dref::context service_node{sys, cluster};
  int failures = 0;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) {
      std::cerr << "feature_flags: " << what << "\n";
      ++failures;
    }
  };
  try {
    const auto id = dref::manual_id("demo/feature-flags");
    auto admin = operator_node.make<flags, dref::json_codec<flags>>({{"new-checkout", false}}, id);
    admin.set_validator([](const flags& f) {
      for (const auto& [name, on] : f)
        if (name.empty())
          return false;
      return true;
    });
    auto service = service_node.existing<flags, dref::json_codec<flags>>(id);

    std::atomic<int> changes{0};
    auto watching = service.on_change([&](const flags& before, const flags& after) {
      for (const auto& [name, on] : after) {
        auto was = before.find(name);
        if (was == before.end() || was->second != on) {
          std::cout << "service: flag '" << name << "' is now " << (on ? "on" : "off") << std::endl;
          ++changes;
        }
      }
    });

    auto enabled = [&](const std::string& name) {
      auto current = service.get_cached();
      auto it = current.find(name);
      return it != current.end() && it->second;
    };
    std::cout << "service: new-checkout " << (enabled("new-checkout") ? "on" : "off") << std::endl;

    admin.update([](flags f) {
      f["new-checkout"] = true;
      return f;
    });
    admin.update([](flags f) {
      f["dark-mode"] = true;
      return f;
    });
    try {
      admin.update([](flags f) {
        f[""] = true;
        return f;
      });
      check(false, "the validator accepted an unnamed flag");
    } catch (const dref::error_exception& e) {
      std::cout << "operator: refused: " << e.what() << std::endl;
    }

    // The hot path: many cached reads, no round trips.
    bool seen = false;
    auto start = std::chrono::steady_clock::now();
    long reads = 0;
    while (std::chrono::steady_clock::now() - start < 2s) {
      ++reads;
      if (enabled("new-checkout") && enabled("dark-mode")) {
        seen = true;
        break;
      }
    }
    check(seen, "the service never saw both flags on");
    for (int i = 0; i < 1000 && changes < 2; ++i)
      std::this_thread::sleep_for(2ms);
    check(changes == 2,
          "on_change reported " + std::to_string(changes.load()) + " flag changes, want 2");
    std::cout << "service: both flags on after " << reads
              << " cached reads; stored JSON: " << dref::json_codec<flags>::encode(admin.get())
              << std::endl;
  } catch (const dref::error_exception& e) {
    std::cerr << "feature_flags: " << e.what() << "\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
