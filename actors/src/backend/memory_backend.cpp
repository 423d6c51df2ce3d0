#include "backend/memory_backend.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <algorithm>
#include <map>
#include <vector>

#include "backend/messages.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/store.hpp"

namespace dref::backend {
namespace {

struct memory_state {
  store::store store;
  std::uint64_t index = 0;
  std::map<std::string, std::vector<caf::actor>> watchers;
  static inline const char* name = "dref.memory_backend";
};

using memory_actor = caf::stateful_actor<memory_state>;

std::uint64_t now_ms(memory_actor* self) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      self->clock().now().time_since_epoch())
                                      .count());
}

void fan_out(memory_actor* self, const std::vector<protocol::store_event>& events) {
  auto& watchers = self->state.watchers;
  auto all = watchers.find("*");
  for (const auto& e : events) {
    if (auto it = watchers.find(e.id); it != watchers.end())
      for (const auto& w : it->second)
        self->send(w, e);
    if (all != watchers.end())
      for (const auto& w : all->second)
        self->send(w, e);
  }
}

store::apply_outcome apply(memory_actor* self, protocol::store_proposal proposal) {
  proposal.leader_time_ms = now_ms(self);
  auto out = self->state.store.apply(++self->state.index, proposal);
  fan_out(self, out.events);
  return out;
}

caf::behavior memory_backend(memory_actor* self, memory_options options) {
  self->set_down_handler([self](const caf::down_msg& down) {
    for (auto it = self->state.watchers.begin(); it != self->state.watchers.end();) {
      std::erase_if(it->second, [&](const caf::actor& w) { return w.address() == down.source; });
      it = it->second.empty() ? self->state.watchers.erase(it) : std::next(it);
    }
  });
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
      self->state.watchers[id].push_back(watcher);
      return self->state.store.applied_index();
    },
    [self](unwatch_atom, const std::string& id, const caf::actor& watcher) {
      auto it = self->state.watchers.find(id);
      if (it == self->state.watchers.end())
        return;
      auto w = std::find(it->second.begin(), it->second.end(), watcher);
      if (w != it->second.end())
        it->second.erase(w);
      if (it->second.empty())
        self->state.watchers.erase(it);
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
  return sys.spawn<caf::detached>(
    [options](memory_actor* self) { return memory_backend(self, options); });
}

} // namespace dref::backend
