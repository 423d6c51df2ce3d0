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

// Writes this member's address to the member directory (state_machine.hpp)
// unless it is there already, so that members added later can reach it.
void announce_address(node_actor* self) {
  auto& st = self->state;
  auto id = std::string{directory_prefix} + st.options.name;
  const auto& address = st.members.own_address();
  if (auto current = st.machine.store().get(id); current && current->value == address)
    return;
  routed_proposal p;
  p.proposal =
      protocol::store_proposal{0, 0, 0, 0, protocol::cmd_member_announce{st.options.name, address}};
  p.deadline = now() + std::chrono::hours{24}; // nobody waits for the answer
  route_proposal(self, std::move(p));
}

} // namespace dref::raft::node
