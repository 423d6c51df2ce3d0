#pragma once
// The memory backend: one store::store in this process, which several
// contexts may share (they then behave like nodes of one cluster). Every
// proposal is applied directly, stamped with the local clock.
//
// The store sits behind a lock (memory_store) so that blocking code reads
// and proposes in its own thread, without a message: a linearizable get or
// a cas costs a lock and the store's own work. Actors do the same in their
// own thread, and their answer comes to them as a message to themselves
// (context_impl::ask_backend), so that it runs after the asking handler as
// any answer would. The backend actor answers requests sent to it (the
// seam) under the same lock; it also runs the expiry ticks and keeps the
// watchers. Writes are applied
// one at a time in lock order, and their events go to the watchers while
// the lock is held, so every watcher sees apply order.

#include "dref/backends/seam/backend_actor.hpp"
#include "dref/backends/seam/watchers.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/store.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>

namespace dref::backend {

struct memory_options {
  store::limits limits;
  // How often the backend moves time forward so that lapsed sessions expire
  // even when nobody writes.
  std::chrono::milliseconds expiry_interval{50};
  // The named commands and queries it runs (null: the built-ins).
  std::shared_ptr<const store::command_registry> commands;
};

class memory_store {
public:
  memory_store(store::limits limits, std::shared_ptr<const store::command_registry> commands);

  protocol::store_read_reply read(const protocol::store_read& request) const;
  // Stamps the proposal with the local clock, applies it and tells the
  // watchers, all under the lock.
  protocol::store_reply propose(protocol::store_proposal proposal);
  // Moves time forward when a session could lapse.
  void expire_due();

  // Events applied after this call go to watcher; returns the revision the
  // watch starts after (backend_actor.hpp).
  std::uint64_t watch(const std::string& id, caf::actor watcher);
  void unwatch(const std::string& id, const caf::actor& watcher);
  void drop_watcher(const caf::actor_addr& gone);

private:
  mutable std::shared_mutex mutex_;
  store::store store_;
  std::uint64_t index_ = 0;
  raft::node::watcher_set watchers_;
};

struct memory_started {
  backend_actor actor;
  std::shared_ptr<memory_store> shared;
};

memory_started spawn_memory_backend(caf::actor_system& sys, memory_options options);

} // namespace dref::backend
