#pragma once
// The CAF actor system configuration of a dref node: dref's message types
// and error category registered, the network layer loaded and tuned from the
// node's configuration. Every process that talks to dref actors (apps,
// tests, user programs) starts its actor_system from one of these.

#include "dref/config/node_config.hpp"

#include <caf/actor_system_config.hpp>

namespace dref {

class node_system_config : public caf::actor_system_config {
public:
  explicit node_system_config(const config::node_config& node = {});

  const config::node_config& node() const noexcept { return node_; }

  // CAF's scheduler sized for a process whose actors never block a thread:
  // a raft member (dref-node calls this). Half the cores, at least one,
  // instead of CAF's minimum of 4: under load a member also keeps the
  // middleman's, the storage writer's and the HTTP gateway's threads busy,
  // and more scheduler threads only took turns with those and woke each
  // other. An idle scheduler thread polls a few times, not hundreds, before
  // it sleeps, as spinning takes a core from those threads. Measured in
  // bench/README.md ("Scheduler threads: members and clients", "One
  // scheduler thread on two cores"). Not for other programs: the memory
  // backend runs an actor's call in the actor's own thread under the store's
  // lock, and its updates from actors halve with two threads.
  void schedule_as_a_raft_member();

private:
  config::node_config node_;
};

} // namespace dref
