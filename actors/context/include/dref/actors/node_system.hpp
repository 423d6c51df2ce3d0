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

  // One CAF scheduler thread per core (at least 2) instead of CAF's
  // minimum of 4, for a process whose actors never block a thread: a raft
  // member (dref-node does this). Its extra threads only took turns and woke
  // each other there. Not for other programs: the memory backend runs an
  // actor's call in the actor's own thread under the store's lock, and its
  // updates from actors halve with two threads (bench/README.md, "Scheduler
  // threads: members and clients").
  void one_scheduler_thread_per_core();

private:
  config::node_config node_;
};

} // namespace dref
