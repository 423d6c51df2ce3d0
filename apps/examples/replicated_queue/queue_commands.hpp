#pragma once
// The seed's QueueWithLength: a queue of integers replicated as one value,
// changed by named commands that ship only their argument. One definition
// for the example program (dref::commands()) and for the dref-node plugin
// (queue_plugin.cpp), so that both register the same names, versions and
// code (members whose commands differ refuse each other).

#include "dref/commands.hpp"

#include <cereal/types/deque.hpp>
#include <cereal/types/optional.hpp>
#include <cstdint>
#include <deque>
#include <optional>

namespace queue_example {

struct queue_with_length {
  std::deque<std::int64_t> items;
  template <class A>
  void serialize(A& ar) {
    ar(items);
  }
};

inline void register_queue_commands(dref::command_registrar& commands) {
  commands
      // Answers the length before (the seed's enqueue).
      .command<queue_with_length>("queue.enqueue", "1",
                                  [](queue_with_length& q, const std::int64_t& value) {
                                    auto before = static_cast<std::int64_t>(q.items.size());
                                    q.items.push_back(value);
                                    return before;
                                  })
      // Answers the value taken, none from an empty queue (which stays as
      // it is: no write).
      .command<queue_with_length>(
          "queue.dequeue", "1",
          [](queue_with_length& q, const dref::no_arg&) -> std::optional<std::int64_t> {
            if (q.items.empty())
              return std::nullopt;
            auto front = q.items.front();
            q.items.pop_front();
            return front;
          })
      .query<queue_with_length>("queue.length", "1",
                                [](const queue_with_length& q, const dref::no_arg&) {
                                  return static_cast<std::int64_t>(q.items.size());
                                });
}

} // namespace queue_example
