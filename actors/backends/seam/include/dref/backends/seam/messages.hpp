#pragma once
// The backend seam's atoms live with the wire types (protocol/caf/atoms.hpp),
// so that the raft node actors answer the same messages as the memory
// backend.

#include "dref/protocol/caf/atoms.hpp"

namespace dref::backend {

using protocol::propose_atom;
using protocol::read_atom;
using protocol::tick_atom;
using protocol::unwatch_atom;
using protocol::watch_atom;

} // namespace dref::backend
