// A raft cluster's administration through one of its members (backends.hpp:
// raft_member's status, membership, leadership and failure drills).
#include "dref/backends.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "backend_handle.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref {
namespace {

// The member as the raft node it is: admin messages are not part of the seam.
caf::actor node_of(const std::shared_ptr<detail::backend_handle>& handle) {
  return handle ? caf::actor_cast<caf::actor>(handle->actor) : caf::actor{};
}

template <class Request>
result<void> ask_admin(caf::actor_system& sys, const caf::actor& member, Request request,
                       std::chrono::milliseconds timeout) {
  if (!member)
    return error{errc::invalid_argument, "not a running member"};
  caf::scoped_actor self{sys, true};
  result<void> out = error{errc::internal, "no answer"};
  self->request(member, timeout, std::move(request))
    .receive(
      [&](protocol::admin_reply& reply) {
        if (reply.error)
          out = std::move(*reply.error);
        else
          out = result<void>{};
      },
      [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

} // namespace

result<protocol::node_status> raft_member::status(caf::actor_system& sys,
                                                  std::chrono::milliseconds timeout,
                                                  bool with_digest) const {
  auto node = node_of(handle_);
  if (!node)
    return error{errc::invalid_argument, "not a running member"};
  caf::scoped_actor self{sys, true};
  result<protocol::node_status> out = error{errc::internal, "no answer"};
  auto answer = [&](protocol::node_status& st) { out = std::move(st); };
  auto failed = [&](caf::error& err) { out = from_caf_error(err); };
  if (with_digest)
    self->request(node, timeout, protocol::status_atom::value, protocol::digest_atom::value)
      .receive(answer, failed);
  else
    self->request(node, timeout, protocol::status_atom::value).receive(answer, failed);
  return out;
}

result<void> raft_member::add_learner(caf::actor_system& sys, const std::string& name,
                                      const std::string& address,
                                      std::chrono::milliseconds timeout) const {
  return ask_admin(sys, node_of(handle_),
                   protocol::member_change{protocol::member_change_kind::add_learner, name, address},
                   timeout);
}

result<void> raft_member::promote(caf::actor_system& sys, const std::string& name,
                                  std::chrono::milliseconds timeout) const {
  return ask_admin(sys, node_of(handle_),
                   protocol::member_change{protocol::member_change_kind::promote, name, {}},
                   timeout);
}

result<void> raft_member::remove(caf::actor_system& sys, const std::string& name,
                                 std::chrono::milliseconds timeout) const {
  return ask_admin(sys, node_of(handle_),
                   protocol::member_change{protocol::member_change_kind::remove, name, {}},
                   timeout);
}

result<void> raft_member::transfer_leadership(caf::actor_system& sys, const std::string& to,
                                              std::chrono::milliseconds timeout) const {
  return ask_admin(sys, node_of(handle_), protocol::leader_transfer{to}, timeout);
}

void raft_member::set_link_cut(const std::string& member, bool cut, cut_direction which) const {
  bool outgoing = cut && which != cut_direction::incoming;
  bool incoming = cut && which != cut_direction::outgoing;
  if (auto node = node_of(handle_))
    caf::anon_send(node, protocol::fault_atom::value, member, outgoing, incoming);
}

} // namespace dref
