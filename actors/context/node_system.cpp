#include "dref/actors/node_system.hpp"

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/timespan.hpp>

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref {

node_system_config::node_system_config(const config::node_config& node) : node_(node) {
  protocol::register_with(*this);
  load<caf::io::middleman>();
  net::configure(*this, node.tls); // after the middleman, which TLS runs on
  // CAF never notices a hung (not closed) peer unless heartbeats are on; a
  // peer silent for several heartbeats is as good as gone for Raft anyway.
  auto heartbeat = std::chrono::duration_cast<caf::timespan>(node.timeouts.heartbeat);
  set("middleman.heartbeat-interval", heartbeat);
  set("middleman.connection-timeout", heartbeat * 10);
  // Round trips on loopback halve with these (276 -> 127 us between two
  // processes on a 2-core machine, CAF 0.17.6).
  set("work-stealing.moderate-sleep-duration", caf::timespan{0});
  set("middleman.workers", std::size_t{0});
  set("logger.verbosity", caf::atom("quiet"));
}

} // namespace dref
