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

void node_system_config::schedule_as_a_raft_member() {
  set("scheduler.max-threads", std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2));
  // CAF polls 100 times, then 500 more (net::configure sets no sleep
  // between those), before it waits on its condition variable.
  set("work-stealing.aggressive-poll-attempts", std::size_t{10});
  set("work-stealing.moderate-poll-attempts", std::size_t{10});
}

} // namespace dref
