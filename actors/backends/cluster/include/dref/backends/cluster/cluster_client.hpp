#pragma once
// A client of a raft cluster reached over the network: a local actor that
// answers the backend seam (backend_actor.hpp) by way of one member at a
// time, and moves to another one when that member breaks or falls silent,
// as etcd's clientv3 does with its endpoints.
//
// - Every request ends with an answer or an error within `request_budget`
//   (errc::timeout: the outcome is unknown), never a hang.
// - A request that failed because of its member (the connection broke, no
//   answer within `attempt_timeout`, the member could not commit) goes to
//   the next member, after a pause once every member failed in a row
//   (endpoint_rotation.hpp). Proposals are sent again unchanged, under their
//   client id and sequence, so the store applies each at most once; a
//   proposal without a client id is sent again only when it is idempotent
//   (a session keepalive or close). Reads and watches are always retried.
// - Watches survive it (watch_relay.hpp): each one resumes at the new
//   member without a gap or a repeat, or with catch-up events where the
//   history is gone (raft keeps no history of values).
// - A member that stops answering is noticed by a probe every
//   `probe_interval` (the member's status, `attempt_timeout` to answer) and
//   by CAF's connection timeout where the actor system sets one.
// - Proposals and reads go to the member in batches (store_batches.hpp):
//   what came in while the actor was busy goes as one message, each item
//   still its own request with its own outcome, retry and budget; a lone
//   request goes as it is, so an idle client adds no wait.
// - The member's status (status_atom[, digest_atom]) comes from the member
//   in use. It talks to members' client ports only (docs/security.md,
//   "Planes"): membership, leadership and link cuts go to a member port,
//   not through it.

#include "dref/backends/seam/backend_actor.hpp"
#include "dref/config/node_config.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <vector>

namespace dref::backend {

struct cluster_client_options {
  std::vector<config::endpoint> endpoints;
  std::chrono::milliseconds request_budget{10000};
  std::chrono::milliseconds attempt_timeout{2000};
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds probe_interval{500};
  std::chrono::milliseconds first_pause{50};
  std::chrono::milliseconds max_pause{1000};
};

// connected: the member at options.endpoints[index], when the caller
// already reached one (raft_member::connect does, to fail early when no
// member answers at all).
backend_actor spawn_cluster_client(caf::actor_system& sys, cluster_client_options options,
                                   caf::actor connected = {}, std::size_t index = 0);

} // namespace dref::backend
