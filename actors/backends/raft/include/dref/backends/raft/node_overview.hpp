#pragma once
// What a member shows about itself to the HTTP gateway in its own process
// (/metrics and the dashboard): (read_atom, local_atom, overview_atom) ->
// node_overview. Not serialisable, and answered only to actors of the
// member's own process; never for decisions (the store part is this
// member's applied state, maybe behind).

#include "dref/backends/raft/node_figures.hpp"
#include "dref/store/overview.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <cstdint>

namespace dref::raft::node {

using overview_atom = caf::atom_constant<caf::atom("overview")>;

struct node_overview {
  node_figures figures;
  store::overview store;
  std::uint64_t watchers = 0; // (id, watcher) pairs served by this member
};

} // namespace dref::raft::node

// In-process only (see above): never serialised.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::raft::node::node_overview)
