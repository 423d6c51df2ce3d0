#pragma once
// The atoms of dref's actor messages. The backend seam (propose, read,
// watch, unwatch) is declared, with its contract, as a typed actor in
// actors/backends/seam/include/dref/backends/seam/backend_actor.hpp; its
// atoms live here with the wire types because they cross the network (a
// context on a remote raft member).
//
// Between raft nodes and from operators (raft backend only):
//
//   raft_message                            Raft traffic, no answer
//   hello                                   -> hello_reply (first on a link)
//   (forward_atom, proposal_batch)          -> proposal_batch_reply, uint64_t
//                                              index: a follower's proposals, run by
//                                              the leader; the highest of their indices
//   (status_atom)                           -> node_status
//   (read_atom, local_atom, store_read)     -> store_read_reply from this
//                                              member's applied state now,
//                                              without a ReadIndex round: a
//                                              stale read, maybe behind the
//                                              leader (the HTTP gateway's
//                                              ?stale=true)
//   (status_atom, digest_atom)              -> node_status with its state_digest
//   member_change                           -> admin_reply, once committed
//   leader_transfer                         -> admin_reply, once it moved
//                                              (both run by the leader; any
//                                              member forwards them there)
//   (fault_atom, std::string name,          failure drills: from now on drop
//    bool outgoing, bool incoming)          what this member sends to name
//                                           (outgoing) and what it gets from
//                                           name (incoming); both false heals
//
// tick_atom: a backend's or keepalive's own timer, sent to itself.

#include <caf/atom.hpp>

namespace dref::protocol {

using propose_atom = caf::atom_constant<caf::atom("propose")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using forward_atom = caf::atom_constant<caf::atom("forward")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using fault_atom = caf::atom_constant<caf::atom("fault")>;
using digest_atom = caf::atom_constant<caf::atom("digest")>;
using local_atom = caf::atom_constant<caf::atom("local")>;

} // namespace dref::protocol
