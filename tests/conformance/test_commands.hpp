#pragma once
// The named commands and queries command_conformance_tests.cpp runs, for
// the test process (dref::commands()) and for dref-node members
// (test_commands_plugin.cpp): one definition, so that both register the
// same names, versions and code.

#include "dref/commands.hpp"

#include <cereal/types/deque.hpp>
#include <cereal/types/optional.hpp>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <utility>

namespace dref::test {

struct job_queue {
  std::deque<std::int64_t> items;
  template <class A>
  void serialize(A& ar) {
    ar(items);
  }
  friend bool operator==(const job_queue&, const job_queue&) = default;
};

struct counter {
  std::int64_t n = 0;
  template <class A>
  void serialize(A& ar) {
    ar(n);
  }
};

inline void register_test_commands(command_registrar& commands) {
  commands
      .command<job_queue>("test.enqueue", "1",
                          [](job_queue& q, const std::int64_t& v) {
                            q.items.push_back(v);
                            return static_cast<std::int64_t>(q.items.size()) - 1;
                          })
      .command<job_queue>("test.dequeue", "1",
                          [](job_queue& q, const no_arg&) -> std::optional<std::int64_t> {
                            if (q.items.empty())
                              return std::nullopt;
                            auto front = q.items.front();
                            q.items.pop_front();
                            return front;
                          })
      .query<job_queue>("test.length", "1",
                        [](const job_queue& q, const no_arg&) {
                          return static_cast<std::int64_t>(q.items.size());
                        })
      .command<counter>("test.add", "1",
                        [](counter& c, const std::int64_t& delta) {
                          auto before = c.n;
                          c.n += delta;
                          return before;
                        })
      .command<counter>("test.explode", "1",
                        [](counter& c, const std::int64_t&) -> std::int64_t {
                          c.n += 1000; // changed, then thrown: the change must not stay
                          throw std::runtime_error("the counter exploded");
                        })
      .query<counter>("test.get", "1", [](const counter& c, const no_arg&) { return c.n; })
      // Raw bytes in and out, as drefctl sends and prints them.
      .command<std::string, raw_codec>("test.append", "1",
                                       [](std::string& s, const std::string& more) {
                                         s += more;
                                         return std::to_string(s.size());
                                       })
      // The seed's JustAnInt: every command answers the value before it.
      .command<std::int64_t>("int.get", "1", [](std::int64_t& i, const no_arg&) { return i; })
      .command<std::int64_t>(
          "int.set", "1",
          [](std::int64_t& i, const std::int64_t& j) { return std::exchange(i, j); })
      .command<std::int64_t>("int.inc", "1", [](std::int64_t& i, const no_arg&) { return i++; })
      .query<std::int64_t>("int.get", "1", [](const std::int64_t& i, const no_arg&) { return i; });
}

} // namespace dref::test
