#pragma once
// A raft cluster member as a CAF actor: it drives raft/core with ticks from
// a timer, keeps the log in raft/storage, applies committed entries to a
// store/ state machine and answers the backend seam (backend_actor.hpp)
// so that a dref::context can use it like the memory backend. It listens on
// two ports (docs/security.md, "Planes"): clients reach a gateway on the
// configured port (client_port.hpp), members and operators reach the node
// itself on the port above (config::member_port_of); one peer-link actor
// per remote member carries its Raft traffic.
//
// Proposals from any member go to the leader (forwarded, retried after a
// leader change under the same client id and sequence, so they take effect
// at most once); reads are linearizable through ReadIndex and served from
// the local store.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"
#include "dref/store/limits.hpp"
#include "dref/store/named_commands.hpp"
#include "dref/version.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dref {
struct leader_hook_set; // dref/leader_hooks.hpp
}

namespace dref::raft::node {

struct node_options {
  std::string name = "node-1"; // unique in the cluster
  std::string cluster_id = "dref";
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0; // the client port; 0: any free pair (see started_node::port)
  // Listen on a non-loopback listen_host although the actor system has no
  // TLS (config: node.insecure); refused otherwise (start_node).
  bool insecure = false;
  // The members to reach, this node among them or not. A fresh cluster
  // forms once every one of them answered; its initial voters are all of
  // them.
  std::vector<config::endpoint> peers;
  // Start as a newcomer to an existing cluster: no initial voters; the
  // leader adds this node (members add), and the log tells it the rest.
  bool join = false;
  std::chrono::milliseconds tick{10};
  std::chrono::milliseconds heartbeat{50};
  std::chrono::milliseconds election{300};
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds expiry_interval{50};
  std::uint64_t snapshot_every = 10000; // applied entries between snapshots
  store::limits limits;
  // The named commands and queries the state machine runs (null: the
  // built-ins); members with different ones refuse each other's links
  // (protocol::limits_offer).
  std::shared_ptr<const store::command_registry> commands;
  // The program's leader hooks, run while this member leads (null: none).
  std::shared_ptr<const leader_hook_set> hooks;
  // For tests only: this member's wall clock runs ahead (or behind) by this
  // much. Only a fresh cluster's first leader reads the wall clock at all
  // (leader_clock.hpp), so a skew must not change when sessions expire.
  std::chrono::milliseconds wall_clock_skew{0};
  std::string software_version{dref::version};
  // Tests only (failpoints.fail_fsync_after): the N-th WAL fsync fails with
  // EIO and the node stops. 0: off.
  std::uint64_t fail_wal_fsync_after = 0;
  // Tests only (failpoints.network_faults): link cuts are taken from the
  // member port, not only from this process.
  bool network_faults = false;
  // The client port's TLS: this member's certificate and key, and the CA
  // that signs clients' certificates (config tls.client_ca, else tls.ca).
  // Enabled exactly when the actor system given to start_node has TLS.
  config::tls client_tls;
  config::network network; // the TLS bounds, for both ports
};

node_options options_from(const config::node_config& cfg);

class client_port;

struct started_node {
  caf::actor actor;
  std::uint16_t port = 0;        // clients
  std::uint16_t member_port = 0; // members and operators: port + 1
  // The client port; dropping the last owner closes it (and waits for its
  // actors). Drop it before the node's actor system goes away.
  std::shared_ptr<client_port> clients;
};

// Opens the data directory (locked for this process), recovers the log,
// publishes the node on its member port, opens its client port and starts
// it. Errors: invalid_config
// (missing data dir, bad options, a non-loopback listen_host without TLS
// unless options.insecure), io_failed (directory or port unusable),
// corrupt_data (a damaged log), each with a message naming the cause.
// Stop it with an exit message (user_shutdown). It stops by itself when its
// storage fails (a failed fsync, a failed compaction): its exit reason is
// then the dref error in a caf::error (from_caf_error gives the message),
// and the process should exit so that a supervisor restarts it from disk.
result<started_node> start_node(caf::actor_system& sys, node_options options);

// For a clean stop, before the exit message: a leader hands leadership to
// its most caught-up reachable voter, and this returns once that member
// leads or after `patience`; on a follower it returns at once. The others
// then go on without sitting out an election timeout for the member that
// leaves (etcd does the same on a graceful stop). Best effort: when nobody
// can take over in time, the stop goes on as before. Blocks the calling
// thread, which must not be one of the node's actor system's workers.
void hand_over_leadership(const caf::actor& node, std::chrono::milliseconds patience);

// A stable 64-bit Raft id for a member name (never 0).
std::uint64_t member_id(std::string_view name);

} // namespace dref::raft::node
