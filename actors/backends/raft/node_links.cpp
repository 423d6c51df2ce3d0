// The node actor's links to the other members (node_state.hpp).
#include "dref/log.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "node_state.hpp"
#include "peer_link.hpp"

namespace dref::raft::node {

void make_link(node_actor* self, const std::string& address,
               member_directory<caf::actor>::link_plan plan) {
  auto& st = self->state;
  if (!plan) {
    log(log_level::warn, "node " + st.options.name + ": not linking: " + plan.error().message);
    return;
  }
  if (*plan)
    st.members.linked(address, spawn_peer_link(self, **plan, st.hello, st.limits_offer));
}

void send_raft(node_actor* self, const core::message& msg) {
  if (auto link = self->state.members.link_for(msg.to))
    self->send(*link, msg);
}

void learn_member(node_actor* self, const std::string& name, const std::string& address) {
  make_link(self, address, self->state.members.learn(name, address));
}

} // namespace dref::raft::node
