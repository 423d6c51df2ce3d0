// Starting and connecting backends (backends.hpp), and make_backend, the
// one place that knows every kind.
#include "backend_handle.hpp"
#include "dref/backends.hpp"
#include "dref/backends/cluster/cluster_client.hpp"
#include "dref/backends/memory/memory_backend.hpp"
#include "dref/backends/raft/node.hpp"
#include "dref/backends/redis/redis_backend.hpp"
#include "dref/backends/seam/limits_from.hpp"
#include "dref/commands.hpp"
#include "dref/leader_hooks.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <thread>

namespace dref {
namespace detail {

backend_handle::~backend_handle() {
  if (actor && owned)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

std::shared_ptr<backend_handle> make_backend(caf::actor_system& sys,
                                             const config::node_config& cfg) {
  switch (cfg.backend) {
    case config::backend_kind::memory:
      return backend_access::handle(memory_backend::start(sys, backend::limits_from(cfg)));
    case config::backend_kind::raft:
      return backend_access::handle(raft_member::start(sys, cfg));
    case config::backend_kind::redis:
      return backend_access::handle(redis_backend::start(sys, cfg));
  }
  throw error_exception(error{errc::invalid_config, "unknown backend"});
}

} // namespace detail

memory_backend memory_backend::start(caf::actor_system& sys, store::limits limits) {
  memory_backend out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  backend::memory_options options; // its expiry interval as memory_options sets it
  options.limits = limits;
  options.commands = registered_commands();
  auto started = backend::spawn_memory_backend(sys, std::move(options));
  out.handle_->actor = std::move(started.actor);
  out.handle_->answers_at_once = true;
  out.handle_->read_here = [shared = started.shared](const protocol::store_read& r) {
    return shared->read(r);
  };
  out.handle_->propose_here = [shared = started.shared](protocol::store_proposal p) {
    return shared->propose(std::move(p));
  };
  out.handle_->watch_here = [shared = started.shared](const std::string& key,
                                                      const caf::actor& watcher) {
    shared->watch(key, watcher);
  };
  return out;
}

redis_backend redis_backend::start(caf::actor_system& sys, const config::node_config& cfg,
                                   std::optional<store::limits> limits) {
  backend::redis_options options;
  options.host = cfg.redis.host;
  options.port = cfg.redis.port;
  options.prefix = cfg.redis_key_prefix;
  options.security = cfg.redis_security;
  options.limits = limits ? *limits : backend::limits_from(cfg);
  options.commands = registered_commands();
  auto spawned = backend::spawn_redis_backend(sys, std::move(options));
  if (!spawned)
    throw error_exception(spawned.error());
  redis_backend out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = std::move(*spawned);
  return out;
}

raft_member raft_member::start(caf::actor_system& sys, const config::node_config& cfg,
                               std::optional<store::limits> limits) {
  auto options = raft::node::options_from(cfg);
  if (limits)
    options.limits = *limits;
  options.commands = registered_commands();
  options.hooks = registered_leader_hooks();
  auto started = raft::node::start_node(sys, std::move(options));
  if (!started)
    throw error_exception(started.error());
  raft_member out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = caf::actor_cast<backend::backend_actor>(started->actor);
  out.handle_->keep_alive = std::move(started->clients);
  out.port_ = started->port;
  return out;
}

raft_member raft_member::of_node(const caf::actor& node, std::uint16_t port) {
  raft_member out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = caf::actor_cast<backend::backend_actor>(node);
  out.handle_->owned = false;
  out.port_ = port;
  return out;
}

raft_member raft_member::connect(caf::actor_system& sys,
                                 const std::vector<config::endpoint>& endpoints,
                                 std::chrono::milliseconds patience,
                                 std::chrono::milliseconds request_budget) {
  if (endpoints.empty())
    throw error_exception(error{errc::invalid_argument, "no endpoint to connect to"});
  // The first member that answers, found here (blocking) so that a wrong
  // address fails now with a clear error rather than as timeouts later.
  auto deadline = std::chrono::steady_clock::now() + patience;
  std::string failures;
  for (;;) {
    failures.clear();
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      auto remote = net::remote_actor(sys, endpoints[i].host, endpoints[i].port);
      if (remote) {
        backend::cluster_client_options options;
        options.endpoints = endpoints;
        options.request_budget = request_budget;
        raft_member out;
        out.handle_ = std::make_shared<detail::backend_handle>();
        for (std::size_t k = 0; k < endpoints.size(); ++k)
          out.handle_->admin_endpoints.push_back(
              config::member_port_of(endpoints[(i + k) % endpoints.size()]));
        out.handle_->actor =
            backend::spawn_cluster_client(sys, std::move(options), std::move(*remote), i);
        out.port_ = endpoints[i].port;
        return out;
      }
      failures += "\n  " + endpoints[i].to_string() + ": " +
                  net::describe_dial_failure(sys, remote.error());
    }
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  throw error_exception(error{errc::unavailable, "no dref member answers at" + failures});
}

raft_member raft_member::connect(caf::actor_system& sys, const std::string& host,
                                 std::uint16_t port, std::chrono::milliseconds patience) {
  return connect(sys, std::vector<config::endpoint>{config::endpoint{host, port}}, patience);
}

void raft_member::stop() {
  if (handle_ && handle_->actor && handle_->owned)
    caf::anon_send_exit(handle_->actor, caf::exit_reason::user_shutdown);
}

} // namespace dref
