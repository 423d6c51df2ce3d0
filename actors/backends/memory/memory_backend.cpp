#include "dref/backends/memory/memory_backend.hpp"

#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/input_checks.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <mutex>

namespace dref::backend {

using protocol::tick_atom;

namespace {

// What watcher_set::notify sends with, from whichever thread applies.
struct anonymous_sender {
  void send(const caf::actor& to, const protocol::store_event& e) const { caf::anon_send(to, e); }
};

// The clock CAF's own actor clock reads in real time.
std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

} // namespace

memory_store::memory_store(store::limits limits,
                           std::shared_ptr<const store::command_registry> commands)
    : store_(limits, std::move(commands)) {}

protocol::store_read_reply memory_store::read(const protocol::store_read& request) const {
  std::shared_lock guard{mutex_};
  return store_.read(request);
}

protocol::store_reply memory_store::propose(protocol::store_proposal proposal) {
  if (auto ok = store::refuse_internal(proposal.command); !ok)
    return store::refusal_reply(std::move(ok).error());
  std::unique_lock guard{mutex_};
  // Read under the lock: the stamps of successive applies never go back.
  proposal.leader_time_ms = now_ms();
  auto out = store_.apply(++index_, proposal);
  anonymous_sender sender;
  watchers_.notify(&sender, out.events);
  return std::move(out.reply);
}

void memory_store::expire_due() {
  {
    std::shared_lock guard{mutex_};
    if (store_.state().sessions.empty())
      return;
  }
  (void)propose(protocol::store_proposal{0, 0, 0, 0, protocol::cmd_expire_due{}});
}

std::uint64_t memory_store::watch(const std::string& id, caf::actor watcher) {
  std::unique_lock guard{mutex_};
  watchers_.add(id, std::move(watcher));
  return index_;
}

void memory_store::unwatch(const std::string& id, const caf::actor& watcher) {
  std::unique_lock guard{mutex_};
  watchers_.remove(id, watcher);
}

void memory_store::drop_watcher(const caf::actor_addr& gone) {
  std::unique_lock guard{mutex_};
  watchers_.drop(gone);
}

namespace {

struct memory_state {
  std::shared_ptr<memory_store> shared;
  static inline const char* name = "dref.memory_backend";
};

using memory_actor = caf::stateful_actor<memory_state>;

caf::behavior memory_backend(memory_actor* self, memory_options options,
                             std::shared_ptr<memory_store> shared) {
  self->state.shared = std::move(shared);
  self->set_down_handler(
      [self](const caf::down_msg& down) { self->state.shared->drop_watcher(down.source); });
  self->send(self, tick_atom::value);
  return seam_and_own({
                          [self](propose_atom, protocol::store_proposal& proposal) {
                            return self->state.shared->propose(std::move(proposal));
                          },
                          [self](read_atom, const protocol::store_read& request) {
                            return self->state.shared->read(request);
                          },
                          [self](watch_atom, const std::string& id, const caf::actor& watcher) {
                            self->monitor(watcher);
                            return self->state.shared->watch(id, watcher);
                          },
                          [self](unwatch_atom, const std::string& id, const caf::actor& watcher) {
                            self->state.shared->unwatch(id, watcher);
                          },
                      },
                      [self, options](tick_atom) {
                        self->state.shared->expire_due();
                        self->delayed_send(self, options.expiry_interval, tick_atom::value);
                      });
}

} // namespace

memory_started spawn_memory_backend(caf::actor_system& sys, memory_options options) {
  auto shared = std::make_shared<memory_store>(options.limits, options.commands);
  // Scheduled, not detached: see start_node in backends/raft/node_actor.cpp.
  auto actor = sys.spawn(
      [options, shared](memory_actor* self) { return memory_backend(self, options, shared); });
  return {caf::actor_cast<backend_actor>(std::move(actor)), std::move(shared)};
}

} // namespace dref::backend
