#pragma once
// The backend seam: the one interface between dref's API (contexts, ref
// actors, sessions) and a backend (memory, raft, redis). A context holds a
// backend_actor handle and sends it nothing else; every backend builds its
// answers to these messages as a backend_actor::behavior_type, so both sides
// are checked by the compiler against this one declaration.
//
// Contract, the same on every backend (tests/conformance holds them to it):
//
//   (propose_atom, store_proposal p)      -> store_reply
//     Applies p.command once, in one total order of writes (the store's
//     revisions: every write gets the next one). With p.client_id != 0, a
//     proposal sent again under the same (client_id, sequence) is applied
//     at most once: a retry gets the first answer for as long as
//     p.sequence > the client's acked. The answer comes once the write is
//     applied where it was proposed, so a read sent afterwards sees it.
//     store_reply.error: the store refused the command (nothing changed).
//     A caf::error instead of an answer (unavailable, timeout): the outcome
//     is unknown; retry under the same (client_id, sequence).
//
//   (read_atom, store_read r)              -> store_read_reply
//     Linearizable: reflects every write acknowledged before r was sent.
//
//   (watch_atom, std::string key, actor w)  -> uint64_t start
//     From now on w receives plain store_event messages: every event of the
//     ids key names (watch_key.hpp: one id, or "P*" for every id beginning
//     with P but dref's own records), in revision order, without gaps or repeats,
//     until unwatched or w goes down. `start` is the revision the watch
//     starts after: every write with a higher revision reaches w, none at
//     or below it does, and every write acknowledged before the watch was
//     sent is at or below it. (A value event's revision is its new_version.)
//
//   (unwatch_atom, std::string key, actor w)
//     Stops the events of key to w (events already sent may still arrive).
//
// A backend that loses events it owes a watcher (the redis backend, past
// its stream's retention) sends that watcher what it needs to be current
// again, marked as a catch-up (event_kind::value_caught_up and kin; for a
// prefix key, prefix_catch_up.hpp).

#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <caf/actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_behavior.hpp>
#include <cstdint>
#include <string>

namespace dref::backend {

using protocol::propose_atom;
using protocol::read_atom;
using protocol::unwatch_atom;
using protocol::watch_atom;

using backend_actor = caf::typed_actor<
    caf::replies_to<propose_atom, protocol::store_proposal>::with<protocol::store_reply>,
    caf::replies_to<read_atom, protocol::store_read>::with<protocol::store_read_reply>,
    caf::replies_to<watch_atom, std::string, caf::actor>::with<std::uint64_t>,
    caf::reacts_to<unwatch_atom, std::string, caf::actor>>;

// A backend actor's whole behavior: its answers to the seam first, then the
// messages it handles besides (its timers, its own posts; the raft backend's
// traffic between members), which no context sends.
template <class... Own>
caf::behavior seam_and_own(backend_actor::behavior_type seam, Own... own) {
  return caf::message_handler{seam.unbox().as_behavior_impl()}.or_else(std::move(own)...);
}

} // namespace dref::backend
