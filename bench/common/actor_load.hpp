#pragma once
// Load from CAF actors for the benchmarks, for a phase: each actor keeps
// `in_flight` requests in flight (one by default; request_chains.hpp).

#include "request_chains.hpp" // tests/common

#include <chrono>
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
  auto start = steady_clock::now();
  auto chains = test::start_request_chains(sys, actors, in_flight, std::move(issue), until);
  if (until > 0) {
    while (!chains->stop)
      std::this_thread::sleep_for(milliseconds{10});
  } else {
    std::this_thread::sleep_for(phase);
    chains->stop = true;
  }
  auto elapsed = duration<double>(steady_clock::now() - start).count();
  while (chains->running > 0)
    std::this_thread::sleep_for(milliseconds{1});
  return {static_cast<double>(chains->answers) / elapsed, chains->answers, chains->errors};
}

} // namespace dref::bench
