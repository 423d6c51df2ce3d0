#include "node_state.hpp"

// Who sent the node actor's current message, and what that sender may ask
// (docs/security.md, "Planes").

namespace dref::raft::node {

bool from_itself(node_actor* self) {
  return self->current_sender() == self->ctrl();
}

bool from_this_process(node_actor* self) {
  const auto& sender = self->current_sender();
  return sender && sender->node() == self->node();
}

bool sent_by_at_least(node_actor* self, net::peer_role least) {
  if (from_this_process(self) || !self->state.tls)
    return true;
  const auto& sender = self->current_sender();
  return sender && net::peer_role_of(sender->node()) >= least;
}

bool sent_by_raft_peer(node_actor* self, core::node_id from) {
  if (from_this_process(self) || !self->state.tls)
    return true;
  const auto& sender = self->current_sender();
  const auto* remote = self->state.members.remote_of(from);
  return sender && remote && remote->node() == sender->node() &&
         net::peer_role_of(sender->node()) == net::peer_role::member;
}

dref::error not_a_member(const char* what) {
  return {errc::permission_denied, std::string{what} +
                                       " come from members only: a certificate of the members' "
                                       "CA without OU=operator (docs/security.md, \"Planes\")"};
}

protocol::admin_reply not_an_operator() {
  return {dref::error{errc::permission_denied,
                      "membership changes and leadership transfers come from members and "
                      "operators only (docs/security.md, \"Planes\")"}};
}

} // namespace dref::raft::node
