#pragma once
// A peer link: this node's connection to one other member, as an actor
// linked to the node. It dials the member's address through CAF's
// middleman, greets it (hello: same wire version and cluster, another
// name; then limits_offer: the same store limits), reports the member's name and node actor to the
// node, forwards Raft messages while connected (dropping them otherwise: Raft resends), and redials
// with backoff when the connection breaks.
//
// To the node:  (link_up_atom, std::string address, std::string name, actor)
//               (link_down_atom, std::string address, std::string name)
//               (link_self_atom, std::string address): the address is the
//               node itself; the link stops.
// From the node: raft_message; (fault_atom, bool cut) drops all traffic
//               while cut (failure drills in tests).

#include "dref/config/node_config.hpp"
#include "dref/protocol/handshake.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace dref::raft::node {

using link_up_atom = caf::atom_constant<caf::atom("linkup")>;
using link_down_atom = caf::atom_constant<caf::atom("linkdown")>;
using link_self_atom = caf::atom_constant<caf::atom("linkself")>;
using redial_atom = caf::atom_constant<caf::atom("redial")>;

caf::actor spawn_peer_link(caf::local_actor* node, config::endpoint target, protocol::hello local,
                           protocol::limits_offer limits);

} // namespace dref::raft::node
