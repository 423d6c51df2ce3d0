#include "dref/actors/node_system.hpp"

#include <caf/atom.hpp>
#include <caf/timespan.hpp>

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref {

node_system_config::node_system_config(const config::node_config& node) : node_(node) {
  protocol::register_with(*this);
  net::configure(*this, node.tls, node.timeouts.heartbeat);
  // Round trips on loopback halve with these (276 -> 127 us between two
  // processes on a 2-core machine, CAF 0.17.6).
  set("work-stealing.moderate-sleep-duration", caf::timespan{0});
  set("middleman.workers", std::size_t{0});
  set("logger.verbosity", caf::atom("quiet"));
}

} // namespace dref
