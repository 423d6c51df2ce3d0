#pragma once
// A context's hold on its backend, and the one factory that makes a backend
// from a node configuration (backend_start.cpp).

#include "dref/backends/seam/backend_actor.hpp"
#include "dref/config/node_config.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <caf/fwd.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dref::detail {

// Owns a backend actor; the last owner stops it.
struct backend_handle {
  backend::backend_actor actor;
  bool owned = true; // false: a remote member, never stopped from here
  // The backend answers every read, proposal and watch as it takes it (the
  // memory backend): such requests need no timeout.
  bool answers_at_once = false;
  // Reads and proposals blocking code can make in its own thread, without
  // a message (the memory backend's store behind its lock); empty for the
  // other backends.
  std::function<protocol::store_read_reply(const protocol::store_read&)> read_here;
  std::function<protocol::store_reply(protocol::store_proposal)> propose_here;
  // A watch put in place in the caller's thread (the memory backend), for
  // those reads and proposals: an actor's watch is then in place before its
  // later reads and proposals run, as when all of them were messages to the
  // backend actor. (The ref actor does not rely on it: it waits for the
  // watch's answer, ref_actor.hpp.) The backend actor is still asked as well
  // (it monitors the watcher); adding a watcher twice is a no-op.
  std::function<void(const std::string& key, const caf::actor& watcher)> watch_here;
  // A raft member's administration (cluster_admin.cpp): a member started
  // here takes it from this process (`actor`); a cluster reached over the
  // network takes it on a member port (config::member_port_of) of these
  // endpoints, tried in order.
  std::vector<config::endpoint> admin_endpoints;
  // What must outlive the backend actor's use here: a started member's
  // client port, closed after the member was told to stop.
  std::shared_ptr<void> keep_alive;
  ~backend_handle();
};

// The backend cfg.backend names, started (memory, a raft member, a Redis
// connection). Throws error_exception when it cannot start.
std::shared_ptr<backend_handle> make_backend(caf::actor_system& sys,
                                             const config::node_config& cfg);

// How this library reaches the handle inside memory_backend, raft_member
// and redis_backend (backends.hpp).
struct backend_access {
  template <class Backend>
  static const std::shared_ptr<backend_handle>& handle(const Backend& b) {
    return b.handle_;
  }
};

} // namespace dref::detail
