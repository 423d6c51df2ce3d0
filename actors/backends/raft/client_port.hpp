#pragma once
// A member's client port: the only way a client reaches a member
// (docs/security.md, "Planes").
//
// The port belongs to an actor system of its own, with its own middleman
// and, with TLS, its own CA (tls.client_ca). CAF 0.17 lets anyone connected
// to a middleman send to any actor of its system whose address ever crossed
// the network, and relays messages on to every other node that middleman is
// connected to; so the node actor, its peer links and the members'
// connections must not share a middleman with clients. The node actor's
// system (the member port) never sees a client connection, and this
// system never connects to a member.
//
// What a client may send to the published gateway, and nothing else:
//   (propose_atom, store_proposal)          -> store_reply   (no internal command)
//   (read_atom, store_read)                 -> store_read_reply
//   (read_atom, local_atom, store_read)     -> store_read_reply  (this member's
//                                              state as applied: may be behind)
//   (propose_atom, proposal_batch)          -> proposal_batch_reply
//   (read_atom, read_batch)                 -> read_batch_reply
//                                              1 to max_batch_items requests as
//                                              one (store_batches.hpp): each item
//                                              answered as it would be alone, a
//                                              batch's items counted each below
//   (watch_atom, id, watcher[, after])      -> uint64_t      (one id or "P*", never "*")
//   (unwatch_atom, id, watcher)
//   (status_atom[, digest_atom])            -> node_status
// with the node's own answers (backend_actor.hpp, atoms.hpp). Membership
// changes and leadership transfers are answered permission_denied; link
// cuts, Raft traffic, member greetings and the node's own timers are
// dropped (a request among them fails with CAF's unexpected_message).
// At most max_calls requests wait for the node at once and at most
// max_watchers watchers are served; beyond, limit_exceeded.
//
// Between the two systems messages travel only as anonymous sends, so each
// actor always runs on its own system's threads: a CAF 0.17 actor sent to
// from another system's thread would run there from then on, and could be
// stranded when that system stops first. Calls therefore go through a
// bridge actor on the node's side that asks the node and sends back the
// answer under the call's number; a watcher gets a pair of relays (one on
// each side) that the node sees as the watcher.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"
#include "dref/store/limits.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace dref::raft::node {

struct client_port_options {
  std::string host;
  std::uint16_t port = 0;
  // With certificate, key and ca: mutual TLS; ca is the clients' CA.
  config::tls tls;
  config::network network; // its bounds
  std::chrono::milliseconds heartbeat{50};
  // A call the node has not answered in this long fails with timeout (the
  // node answers its own requests well before).
  std::chrono::milliseconds call_timeout{10000};
  store::limits limits;             // for the checks of watch ids
  std::size_t max_calls = 65536;    // network.max_pending_requests
  std::size_t max_watchers = 65536; // network.max_watchers
};

class client_port {
public:
  // Starts the port's actor system and publishes the gateway for `node`
  // on options.host:options.port. Errors: invalid_config (TLS files),
  // io_failed (the port cannot be bound).
  static result<std::shared_ptr<client_port>> open(caf::actor node, client_port_options options);

  // Stops the gateway and its relays, then the port's actor system
  // (waiting for its actors): the port is closed once this returns.
  ~client_port();

  std::uint16_t port() const noexcept { return port_; }

  client_port(const client_port&) = delete;
  client_port& operator=(const client_port&) = delete;

private:
  client_port() = default;
  struct system_holder;
  std::unique_ptr<system_holder> system_;
  caf::actor gateway_;
  caf::actor bridge_;
  std::uint16_t port_ = 0;
};

} // namespace dref::raft::node
