#pragma once
// The backend seam: every backend (memory now; raft and redis later) is an
// actor that answers these messages. Ref, lock and topic actors and the
// blocking handles talk to nothing else.
//
//   (propose_atom, store_proposal)          -> store_reply
//   (read_atom, store_read)                 -> store_read_reply
//   (watch_atom, std::string id, actor)     -> uint64_t applied index; then
//                                              store_event messages for id
//                                              (id "*": every event), in
//                                              order, until unwatched
//   (unwatch_atom, std::string id, actor)      or the watcher goes down.

#include <caf/atom.hpp>

namespace dref::backend {

using propose_atom = caf::atom_constant<caf::atom("propose")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace dref::backend
