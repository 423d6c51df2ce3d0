#pragma once
// Requests kept in flight from CAF actors, for load in tests and benches:
// `actors` actors each keep `in_flight` chains going, and a chain issues its
// next request from the answer to its last. issue(self, actor_number,
// done) sends one request; done(ok) takes its outcome. Once `stop` is set
// (by the caller, or after `until` successful answers when until > 0) each
// chain ends at its next answer, and each actor with its last chain.

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <functional>
#include <memory>

namespace dref::test {

struct request_chains {
  std::atomic<bool> stop{false};
  std::atomic<long> answers{0}; // successful
  std::atomic<long> errors{0};
  std::atomic<int> running{0}; // chains still going
};

template <class Issue>
std::shared_ptr<request_chains> start_request_chains(caf::actor_system& sys, int actors,
                                                     int in_flight, Issue issue, long until = 0) {
  auto state = std::make_shared<request_chains>();
  state->running = actors * in_flight;
  for (int a = 0; a < actors; ++a)
    sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      auto next = std::make_shared<std::function<void()>>();
      auto chains = std::make_shared<int>(in_flight); // of this actor, still going
      *next = [=, weak = std::weak_ptr{next}] {
        if (state->stop.load(std::memory_order_relaxed)) {
          --state->running;
          if (--*chains == 0)
            self->quit();
          return;
        }
        auto again = weak.lock();
        // The shared state by address (`again` holds *next, which holds
        // `state`): a shared_ptr copied per request would make all actors
        // take turns at its count.
        issue(self, a, [again, shared = state.get(), until](bool ok) {
          if (!ok)
            ++shared->errors;
          else if (++shared->answers >= until && until > 0)
            shared->stop = true;
          (*again)();
        });
      };
      for (int k = 0; k < in_flight; ++k)
        (*next)();
      return {[](int) {}};
    });
  return state;
}

} // namespace dref::test
