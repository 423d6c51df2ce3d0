// A raft cluster's administration through one of its members (backends.hpp:
// raft_member's status, membership, leadership and failure drills).
#include "backend_handle.hpp"
#include "dref/backends.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

namespace dref {
namespace {

using handle_ptr = std::shared_ptr<detail::backend_handle>;

// Who takes admin requests (docs/security.md, "Planes"): a member started
// in this process itself; for a cluster reached over the network, the
// first of its member ports that answers (a client port refuses them).
result<caf::actor> admin_target(caf::actor_system& sys, const handle_ptr& handle) {
  if (!handle || !handle->actor)
    return error{errc::invalid_argument, "not a running member"};
  if (handle->admin_endpoints.empty())
    return caf::actor_cast<caf::actor>(handle->actor);
  std::string failures;
  for (const auto& endpoint : handle->admin_endpoints) {
    // A fresh dial can lose CAF's handshake race against its connection
    // timeout (actors/net/transport.cpp): each member port gets three tries.
    auto remote = net::remote_actor(sys, endpoint.host, endpoint.port);
    for (int attempt = 1; !remote && attempt < 3; ++attempt)
      remote = net::remote_actor(sys, endpoint.host, endpoint.port);
    if (remote)
      return std::move(*remote);
    failures +=
        "\n  " + endpoint.to_string() + ": " + net::describe_dial_failure(sys, remote.error());
  }
  return error{errc::unavailable,
               "no member port answers (members and operators talk on the client port + 1, "
               "with a member certificate when TLS is on):" +
                   failures};
}

template <class Request>
result<void> ask_admin(caf::actor_system& sys, const handle_ptr& handle, Request request,
                       std::chrono::milliseconds timeout) {
  auto member = admin_target(sys, handle);
  if (!member)
    return std::move(member).error();
  caf::scoped_actor self{sys, true};
  result<void> out = error{errc::internal, "no answer"};
  self->request(*member, timeout, std::move(request))
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
  if (!handle_ || !handle_->actor)
    return error{errc::invalid_argument, "not a running member"};
  auto member = caf::actor_cast<caf::actor>(handle_->actor);
  caf::scoped_actor self{sys, true};
  result<protocol::node_status> out = error{errc::internal, "no answer"};
  auto answer = [&](protocol::node_status& st) { out = std::move(st); };
  auto failed = [&](caf::error& err) { out = from_caf_error(err); };
  if (with_digest)
    self->request(member, timeout, protocol::status_atom::value, protocol::digest_atom::value)
        .receive(answer, failed);
  else
    self->request(member, timeout, protocol::status_atom::value).receive(answer, failed);
  return out;
}

result<void> raft_member::add_learner(caf::actor_system& sys, const std::string& name,
                                      const std::string& address,
                                      std::chrono::milliseconds timeout) const {
  return ask_admin(
      sys, handle_,
      protocol::member_change{protocol::member_change_kind::add_learner, name, address}, timeout);
}

result<void> raft_member::promote(caf::actor_system& sys, const std::string& name,
                                  std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_,
                   protocol::member_change{protocol::member_change_kind::promote, name, {}},
                   timeout);
}

result<void> raft_member::remove(caf::actor_system& sys, const std::string& name,
                                 std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_,
                   protocol::member_change{protocol::member_change_kind::remove, name, {}},
                   timeout);
}

result<void> raft_member::transfer_leadership(caf::actor_system& sys, const std::string& to,
                                              std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_, protocol::leader_transfer{to}, timeout);
}

void raft_member::set_link_cut(const std::string& member, bool cut, cut_direction which) const {
  bool outgoing = cut && which != cut_direction::incoming;
  bool incoming = cut && which != cut_direction::outgoing;
  if (!handle_ || !handle_->actor)
    return;
  // From an actor of the member's own system for a member started here (the
  // node takes link cuts only from its own process); over the network, the
  // member must have been started with failpoints.network_faults.
  auto& sys = caf::actor_cast<caf::abstract_actor*>(handle_->actor)->home_system();
  auto target = admin_target(sys, handle_);
  if (!target)
    return;
  caf::scoped_actor self{sys, true};
  self->send(*target, protocol::fault_atom::value, member, outgoing, incoming);
}

} // namespace dref
