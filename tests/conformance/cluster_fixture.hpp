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

  explicit memory_cluster(std::size_t nodes = 3, store::limits limits = {})
    : backend(memory_backend::start(sys, limits)) {
    for (std::size_t i = 0; i < nodes; ++i)
      contexts.push_back(std::make_unique<context>(sys, backend, context_options{}));
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
