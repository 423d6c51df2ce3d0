#pragma once
// The memory backend: one actor that owns a store::store and applies every
// proposal directly, stamping it with its own clock. Several contexts in one
// process may share it; they then behave like nodes of one cluster.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>

#include "dref/store/limits.hpp"

namespace dref::backend {

struct memory_options {
  store::limits limits;
  // How often the backend moves time forward so that lapsed sessions expire
  // even when nobody writes.
  std::chrono::milliseconds expiry_interval{50};
};

caf::actor spawn_memory_backend(caf::actor_system& sys, memory_options options);

} // namespace dref::backend
