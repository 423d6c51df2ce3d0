#include "dref/actors/node_system.hpp"

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref {

node_system_config::node_system_config(const config::node_config& node)
    : node_(node) {
  protocol::register_with(*this);
  net::configure(*this, node.tls, node.timeouts.heartbeat, node.network);
}

} // namespace dref
