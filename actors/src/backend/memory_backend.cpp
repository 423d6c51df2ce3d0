#include "backend/memory_backend.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <algorithm>
#include <map>
#include <vector>

#include "backend/messages.hpp"
#include "dref/raft/node/watchers.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/store.hpp"

namespace dref::backend {
namespace {

struct memory_state {
  store::store store;
  std::uint64_t index = 0;
  raft::node::watcher_set watchers;
  static inline const char* name = "dref.memory_backend";
};

using memory_actor = caf::stateful_actor<memory_state>;

std::uint64_t now_ms(memory_actor* self) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      self->clock().now().time_since_epoch())
                                      .count());
}

store::apply_outcome apply(memory_actor* self, protocol::store_proposal proposal) {
  proposal.leader_time_ms = now_ms(self);
  auto out = self->state.store.apply(++self->state.index, proposal);
  self->state.watchers.notify(self, out.events);
  return out;
}

caf::behavior memory_backend(memory_actor* self, memory_options options) {
  self->set_down_handler(
    [self](const caf::down_msg& down) { self->state.watchers.drop(down.source); });
  self->state.store = store::store{options.limits};
  self->send(self, tick_atom::value);
  return {
    [self](propose_atom, const protocol::store_proposal& proposal) {
      return apply(self, proposal).reply;
    },
    [self](read_atom, const protocol::store_read& request) {
      return self->state.store.read(request);
    },
    [self](watch_atom, const std::string& id, const caf::actor& watcher) {
      self->monitor(watcher);
      self->state.watchers.add(id, watcher);
      return self->state.store.applied_index();
    },
    [self](unwatch_atom, const std::string& id, const caf::actor& watcher) {
      self->state.watchers.remove(id, watcher);
    },
    [self, options](tick_atom) {
      if (!self->state.store.state().sessions.empty())
        apply(self, protocol::store_proposal{0, 0, 0, 0, protocol::cmd_expire_due{}});
      self->delayed_send(self, options.expiry_interval, tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_memory_backend(caf::actor_system& sys, memory_options options) {
  // Scheduled, not detached: see start_node in raft/node.
  return sys.spawn(
    [options](memory_actor* self) { return memory_backend(self, options); });
}

} // namespace dref::backend
