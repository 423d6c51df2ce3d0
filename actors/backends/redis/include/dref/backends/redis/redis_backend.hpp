#pragma once
// The redis backend: one actor per node (context group) that runs every
// proposal and read as the store script on a Redis server, and feeds its
// watchers from the server's change-event stream. It answers the same
// messages as the memory backend and the raft members.
//
// Safe retries: a command that did not reach Redis (connection down) and
// one whose answer was lost (connection broke after sending) are sent again
// for up to retry_for, under the same client id and sequence, so that the
// script answers a repeat from its cache instead of running it twice.

#include "dref/backends/seam/backend_actor.hpp"
#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/named_commands.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace dref::backend {

struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string prefix = "dref:";
  // Password / ACL user and TLS of both connections (config::redis_security).
  config::redis_security security;
  store::limits limits;
  // Change events kept in Redis: a watcher that was away for longer than
  // this many events gets the current state instead (catch-up).
  std::size_t events_maxlen = 100'000;
  std::chrono::milliseconds expiry_interval{100};
  std::chrono::milliseconds retry_for{3000};
  // Named commands and queries beyond add_i64, run by the backend
  // (redis/named_runs.hpp); null: the built-ins.
  std::shared_ptr<const store::command_registry> commands;
};

// Checks that Redis answers (blocking, so that a bad address, a refused
// certificate or password fails here with a clear errc::unavailable naming
// the cause: "certificate verify failed", WRONGPASS, NOAUTH) and spawns the
// backend actor.
result<backend_actor> spawn_redis_backend(caf::actor_system& sys, redis_options options);

} // namespace dref::backend
