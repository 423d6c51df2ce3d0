#pragma once
// The value command_bench makes hot, and its named command, for the bench
// process and for the members (command_bench_plugin.cpp).

#include "dref/commands.hpp"

#include <cstdint>

namespace dref::bench {

struct hot_counter {
  std::int64_t n = 0;
  template <class A>
  void serialize(A& ar) {
    ar(n);
  }
};

inline void register_bench_commands(command_registrar& commands) {
  commands.command<hot_counter>("bench.add", "1", [](hot_counter& c, const std::int64_t& delta) {
    c.n += delta;
    return c.n;
  });
}

} // namespace dref::bench
