#include "dref/actors/node_system.hpp"

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <algorithm>
#include <thread>

namespace dref {

node_system_config::node_system_config(const config::node_config& node)
    : node_(node) {
  protocol::register_with(*this);
  net::configure(*this, node.tls, node.timeouts.heartbeat, node.network);
}

void node_system_config::one_scheduler_thread_per_core() {
  set("scheduler.max-threads", std::max<std::size_t>(2, std::thread::hardware_concurrency()));
}

} // namespace dref
