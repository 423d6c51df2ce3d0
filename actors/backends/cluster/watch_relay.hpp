#pragma once
// A watch of a cluster client (cluster_client.hpp): one relay actor per
// (id, watcher). The relay is the watcher at the member the client uses and
// hands the member's events on to the real watcher; after a failover it
// watches again at the new member and first sends what the watcher missed
// meanwhile (catch-up events read from the new member, catch_up.hpp), then
// the new member's events, never one the watcher already had
// (delivered_events.hpp).
//
// Messages from its client (local only):
//   (watch_atom, caf::actor member)                 -> uint64_t start
//       the first watch; start as in backend_actor.hpp
//   (resume_atom, caf::actor member, uint64_t epoch)
//       the client moved to `member`: watch there and catch up. A later
//       resume (higher epoch) supersedes one under way.
// It stops when the watcher goes down or when told to exit (then it
// unwatches at the member, best effort).

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <string>

namespace dref::backend {

using resume_atom = caf::atom_constant<caf::atom("resume")>;

struct watch_relay_options {
  std::string id;
  caf::actor watcher;
  // Each request to a member gives up after this long; a resume that
  // failed is tried again after `retry_pause` until a newer one arrives.
  std::chrono::milliseconds attempt_timeout{2000};
  std::chrono::milliseconds retry_pause{100};
};

caf::actor spawn_watch_relay(caf::actor_system& sys, watch_relay_options options);

} // namespace dref::backend
