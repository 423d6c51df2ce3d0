#pragma once
// The backend under test, seen as a few "nodes" (contexts) of one cluster.
// The conformance suites use only this interface, so that the raft and
// redis backends can run the same suites with their own fixture.

#include <caf/actor_system.hpp>
#include <memory>
#include <vector>

#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

namespace dref::test {

struct memory_cluster {
  static constexpr const char* name = "memory";
  // Short, so that crash tests pass a lock on quickly.
  static constexpr std::chrono::milliseconds session_ttl{400};

  explicit memory_cluster(std::size_t nodes = 3, store::limits limits = {})
    : backend(memory_backend::start(sys, limits)) {
    context_options options;
    options.session_ttl = session_ttl;
    for (std::size_t i = 0; i < nodes; ++i)
      contexts.push_back(std::make_unique<context>(sys, backend, options));
  }
  ~memory_cluster() {
    contexts.clear();
    backend = memory_backend{};
  }

  context& node(std::size_t i) { return *contexts.at(i); }

  node_system_config cfg;
  caf::actor_system sys{cfg};
  memory_backend backend;
  std::vector<std::unique_ptr<context>> contexts;
};

} // namespace dref::test
