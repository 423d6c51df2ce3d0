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

private:
  config::node_config node_;
};

} // namespace dref
