// Quick start: refs on the memory backend. A counter that several threads
// update at once, a string with compare-and-set, and a validator.

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

#include <caf/actor_system.hpp>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

int main() {
  dref::node_system_config cfg;
  caf::actor_system sys{cfg};
  try {
    dref::context ctx{sys}; // the memory backend: everything in this process

    // make() never overwrites: a second make with the same id joins the value.
    auto counter = ctx.make<std::int64_t>(0, dref::manual_id("quick-start/counter"));
    auto again = ctx.make<std::int64_t>(42, dref::manual_id("quick-start/counter"));
    std::cout << "made counter = " << again.get() << " (make joined, did not overwrite)\n";

    constexpr int threads = 4;
    constexpr int increments = 250;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&] {
        for (int i = 0; i < increments; ++i)
          counter.update([](std::int64_t n) { return n + 1; });
      });
    for (auto& w : workers)
      w.join();
    auto [value, version] = counter.get_versioned();
    std::cout << "counter = " << value << " after " << threads << " threads x " << increments
              << " updates (version " << version << ")\n";

    // An id from the call site: the same on every node running this binary.
    auto greeting = ctx.make<std::string>("hello");
    std::cout << "greeting '" << greeting.get() << "' has id " << greeting.id() << "\n";
    auto old = greeting.get_and_update([](const std::string& s) { return s + ", dref"; });
    std::cout << "get_and_update: was '" << old << "', now '" << greeting.get() << "'\n";
    bool swapped = greeting.compare_and_set("hello", "never");
    std::cout << "compare_and_set(\"hello\", ...) -> " << (swapped ? "true" : "false") << "\n";
    swapped = greeting.compare_and_set("hello, dref", "bye");
    std::cout << "compare_and_set(\"hello, dref\", \"bye\") -> " << (swapped ? "true" : "false")
              << ", greeting '" << greeting.get() << "'\n";
    auto length = greeting.modify([](const std::string& s) {
      return std::pair{s.size(), s + "!"};
    });
    std::cout << "modify returned " << length << ", greeting '" << greeting.get() << "'\n";

    counter.set_validator([](std::int64_t n) { return n >= 0; });
    try {
      counter.set(-1);
    } catch (const dref::error_exception& e) {
      std::cout << "set(-1) refused: " << e.what() << "; counter still " << counter.get() << "\n";
    }
    try {
      (void)ctx.existing<std::int64_t>(dref::manual_id("no-such-ref")).get();
    } catch (const dref::error_exception& e) {
      std::cout << "get on a missing id: " << e.what() << "\n";
    }
    return value == threads * increments ? 0 : 1;
  } catch (const dref::error_exception& e) {
    std::cerr << "quick_start: " << e.what() << "\n";
    return 1;
  }
}
