#pragma once
// Starting and connecting backends (see actors/backends/README.md): a
// memory backend several contexts of a process share, a member of a raft
// cluster (started here, or a running one reached over the network, with
// the cluster's administration), or a connection to a Redis server. Make
// a dref::context on one of them.

#include "dref/config/node_config.hpp"
#include "dref/protocol/admin.hpp"
#include "dref/protocol/result.hpp"
#include "dref/store/limits.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace dref {

namespace detail {
struct backend_handle;
struct backend_access;
} // namespace detail

// A memory backend for several contexts in one process.
class memory_backend {
public:
  static memory_backend start(caf::actor_system& sys, store::limits limits = {});

private:
  friend struct detail::backend_access;
  std::shared_ptr<detail::backend_handle> handle_;
};

// A member of a raft cluster (config.backend raft: node id, data dir, port,
// peers) running in sys. Several contexts may share it, also contexts of
// another actor system in the same process. Throws error_exception when the
// member cannot start (bad configuration, unusable data directory or port).
class raft_member {
public:
  // limits: the store's full limits, when more than cfg.limits says.
  static raft_member start(caf::actor_system& sys, const config::node_config& cfg,
                           std::optional<store::limits> limits = {});
  // The member a program of this process started with
  // raft::node::start_node (dref-node), listening on port: contexts and the
  // administration reach it in-process. These handles never stop it.
  static raft_member of_node(const caf::actor& node, std::uint16_t port);
  // A cluster running elsewhere (dref-node processes), reached over the
  // network through any of `endpoints`: contexts made on it are the
  // cluster's clients. Requests go through one member at a time and move
  // to another when it breaks or falls silent; proposals are retried under
  // their client id and sequence (applied at most once), watches resume
  // where they were (actors/backends/cluster/.../cluster_client.hpp has the
  // contract). Throws error_exception (unavailable) when no endpoint
  // answers, after trying again for `patience` (members just starting).
  // request_budget: how long one request may take in all, failovers
  // included, before it fails with timeout (outcome unknown).
  static raft_member connect(caf::actor_system& sys, const std::vector<config::endpoint>& endpoints,
                             std::chrono::milliseconds patience = {},
                             std::chrono::milliseconds request_budget = std::chrono::seconds{10});
  // One endpoint: the member there while it answers, and the same one
  // again after it restarted (status and the administration below go to
  // it).
  static raft_member connect(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds patience = {});

  // The view of the cluster of this member (of the member in use, when
  // connected through several endpoints): drefctl status.
  // with_digest: also the digest of its store's whole state (it costs the
  // member a snapshot).
  result<protocol::node_status> status(caf::actor_system& sys, std::chrono::milliseconds timeout,
                                       bool with_digest = false) const;
  // Membership and leadership (drefctl members, transfer-leader). The
  // leader runs them (this member forwards) and they return once committed.
  // A new member starts with join = true and is added as a learner with
  // the address it listens on, then promoted once it caught up. Errors:
  // not_found (no such member), already_exists, invalid_argument (bad
  // address, promoting a voter), membership_change_pending (one change at a
  // time), unavailable (no leader reachable), timeout (outcome unknown).
  result<void> add_learner(caf::actor_system& sys, const std::string& name,
                           const std::string& address, std::chrono::milliseconds timeout) const;
  result<void> promote(caf::actor_system& sys, const std::string& name,
                       std::chrono::milliseconds timeout) const;
  result<void> remove(caf::actor_system& sys, const std::string& name,
                      std::chrono::milliseconds timeout) const;
  result<void> transfer_leadership(caf::actor_system& sys, const std::string& to,
                                   std::chrono::milliseconds timeout) const;
  // Failure drills: cut (or heal) this member's traffic with another one at
  // this member's side: what it sends there, what it gets from there, or
  // both. A cut replaces the one before; cut = false heals both directions.
  enum class cut_direction { both, outgoing, incoming };
  void set_link_cut(const std::string& member, bool cut,
                    cut_direction which = cut_direction::both) const;
  // The port it listens on (cfg.port, or the one picked for port 0).
  std::uint16_t port() const noexcept { return port_; }
  // Stops the member now, even while contexts still use it (they then get
  // errc::unavailable); the last handle going away stops it too.
  void stop();

private:
  friend struct detail::backend_access;
  std::shared_ptr<detail::backend_handle> handle_;
  std::uint16_t port_ = 0;
};

// dref's state in a Redis server (config backend redis: redis.address and
// redis.key_prefix, which keeps applications that share one Redis apart).
// Every start() is a connection of its own and acts like a node of a
// cluster; several contexts may share one. Throws error_exception
// (unavailable) when no Redis answers at the address. What Redis can and
// cannot guarantee: docs/redis.md.
class redis_backend {
public:
  // limits: the store's full limits, when more than cfg.limits says. Every
  // node using one prefix must run with the same limits.
  static redis_backend start(caf::actor_system& sys, const config::node_config& cfg,
                             std::optional<store::limits> limits = {});

private:
  friend struct detail::backend_access;
  std::shared_ptr<detail::backend_handle> handle_;
};

} // namespace dref
