#pragma once
// Load from CAF actors for the benchmarks: each actor keeps `in_flight`
// requests in flight (one by default) and issues the next from each answer.

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace dref::bench {

struct actor_load {
  double per_second = 0;
  long answers = 0; // successful
  long errors = 0;
};

// issue(self, actor_number, done) sends one request; done(ok) takes its
// answer. Runs `actors` actors for `phase`, or, with `until` > 0, until
// that many successful answers came; waits for the requests in flight.
template <class Issue>
actor_load from_actors(caf::actor_system& sys, int actors, std::chrono::duration<double> phase,
                       Issue issue, long until = 0, int in_flight = 1) {
  using namespace std::chrono;
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto answers = std::make_shared<std::atomic<long>>(0);
  auto errors = std::make_shared<std::atomic<long>>(0);
  auto running = std::make_shared<std::atomic<int>>(actors * in_flight);
  auto start = steady_clock::now();
  for (int a = 0; a < actors; ++a)
    sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      auto next = std::make_shared<std::function<void()>>();
      auto chains = std::make_shared<int>(in_flight); // of this actor, still going
      *next = [=, weak = std::weak_ptr{next}] {
        if (stop->load(std::memory_order_relaxed)) {
          --*running;
          if (--*chains == 0)
            self->quit();
          return;
        }
        auto again = weak.lock();
        issue(self, a, [again, answers, errors, stop, until](bool ok) {
          if (!ok)
            ++*errors;
          else if (++*answers >= until && until > 0)
            *stop = true;
          (*again)();
        });
      };
      for (int k = 0; k < in_flight; ++k)
        (*next)();
      return {[](int) {}};
    });
  if (until > 0) {
    while (!*stop)
      std::this_thread::sleep_for(milliseconds{10});
  } else {
    std::this_thread::sleep_for(phase);
    *stop = true;
  }
  auto elapsed = duration<double>(steady_clock::now() - start).count();
  while (*running > 0)
    std::this_thread::sleep_for(milliseconds{1});
  return {static_cast<double>(*answers) / elapsed, *answers, *errors};
}

} // namespace dref::bench
