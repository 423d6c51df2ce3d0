#pragma once
// The node actor's state and what its source files share. The actor is one
// event loop (node_actor.cpp: ticks, Raft messages, routing proposals, read
// rounds, links and the backend seam; node_ready.cpp: the ready loop and
// applying entries); it
// answers admin requests and the status in node_admin.cpp, and start_node
// opens its data directory and publishes it in node_start.cpp. Each job's
// bookkeeping lives in a part that owns it (see README.md): this state
// holds the parts and the little the loop keeps between messages.

#include "admin_waits.hpp"
#include "dref/backends/raft/node.hpp"
#include "dref/backends/raft/node_overview.hpp"
#include "dref/backends/seam/watchers.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/admin.hpp"
#include "dref/protocol/handshake.hpp"
#include "dref/raft/core/node.hpp"
#include "event_history.hpp"
#include "forward_batches.hpp"
#include "leader_clock.hpp"
#include "leader_hook_calls.hpp"
#include "member_directory.hpp"
#include "proposal_tracker.hpp"
#include "read_rounds.hpp"
#include "state_machine.hpp"
#include "storage_driver.hpp"
#include "waiters.hpp"

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dref::raft::node {

// A watch starts like a linearizable read, so that it sees every write
// after one its caller already saw acknowledged (also by another member).
struct watch_start {
  std::string id;
  caf::actor watcher;
};

// A linearizable read, or the start of a watch, as it waits in read_rounds.
struct read_request {
  protocol::store_read request;
  read_waiter promise;
  std::optional<watch_start> watch;
};

using routed_proposal = proposal_tracker<proposal_waiter>::routed;
using persisted_atom = caf::atom_constant<caf::atom("persisted")>;

struct node_state {
  node_options options;
  std::optional<storage_driver> disk;
  core::persisted_state restored; // until the core starts from it
  std::unique_ptr<core::node> raft;
  state_machine machine;
  std::uint64_t self_id = 0;
  protocol::hello hello;
  protocol::limits_offer limits_offer;
  member_directory<caf::actor> members;
  proposal_tracker<proposal_waiter> proposals;
  forward_batches forwards; // gathered for the leader
  read_rounds<read_request> reads;
  admin_waits<caf::response_promise> admin;
  watcher_set watchers;
  event_history history; // for watchers that resume here
  leader_clock clock;
  node_figures figures;
  leader_hook_calls hooks;
  // Group commit: proposals and raft messages are stepped into the core as
  // they come; one ready round (one fsync) follows the whole lot, once the
  // ready_atom this sets in motion comes round in the mailbox. Forwards
  // gathered meanwhile go to the leader then, as one batch.
  bool ready_scheduled = false;
  // Ready rounds handed to the storage writer and not yet back: a round
  // with nothing to write still queues behind them (advance() in order).
  std::size_t rounds_on_disk_way = 0;
  bool failed = false;
  bool tls = false; // the member port talks TLS: peers have roles
  static inline const char* name = "dref.raft_node";
};

using node_actor = caf::stateful_actor<node_state>;

// Whether the data directory held state (a restart): the log then knows
// the members, and the leader hooks' on_restored is due.
inline bool restarted(const core::persisted_state& restored) {
  return !restored.entries.empty() || restored.snapshot.index > 0 || restored.hard.term > 0;
}

// --- node_actor.cpp
caf::behavior node_behavior(node_actor* self);
// Asks for a ready round once the messages already in the mailbox are
// handled (group commit, see ready_scheduled); forwards go out then too.
void schedule_ready(node_actor* self);

// --- node_ready.cpp
// Runs the core's ready rounds until it has nothing more to do.
void process_ready(node_actor* self);
// The storage writer finished rounds (persisted_atom): what waited for them.
void on_persisted(node_actor* self);
// Replaces the state machine by snap (from the leader, or from disk at a
// restart) and brings local watchers up to date with catch-up events.
void install_snapshot(node_actor* self, const core::snapshot& snap);

// --- node_actor.cpp
// The member stops answering at once: pending requests get broken
// promises, never an acknowledgement, and the exit reason carries err so
// whoever monitors the node (dref-node) can say why. Linked peer links go
// with it.
void fail_fatally(node_actor* self, const error& err);
// Asks raft/core to confirm leadership for the reads queued (read_rounds),
// unless a round is in flight, no read waits or the core has not started.
void start_read_round(node_actor* self);
std::chrono::steady_clock::time_point now();
// The time this leader stamps into an entry it proposes now (leader_clock.hpp).
std::uint64_t leader_time_ms(node_actor* self);
// Proposes here as leader, forwards to the leader, parks until there is
// one, or answers timeout past the deadline; one over the value limit is
// refused (value_too_large) where it is proposed or forwarded.
void route_proposal(node_actor* self, routed_proposal p);

// --- node_forwards.cpp: proposals sent on to the leader in batches
// (forward_batches.hpp), their answers given to the callers.
// Records p (bytes long, encoded) as forwarded to leader and gathers it
// for the next batch.
void forward_to_leader(node_actor* self, core::node_id leader, routed_proposal p,
                       std::size_t bytes);
// Sends what gathered (at the ready round).
void send_forwards(node_actor* self);

// --- node_admin.cpp
void change_membership(node_actor* self, const protocol::member_change& change,
                       caf::response_promise promise);
void transfer_leadership(node_actor* self, const protocol::leader_transfer& request,
                         caf::response_promise promise);
// hand_over_leadership (node.hpp): from this process only.
using hand_over_atom = caf::atom_constant<caf::atom("handover")>;
void hand_over_before_stopping(node_actor* self, caf::response_promise promise);
// Parked admin requests (admin_waits.hpp) go on once a leader is reachable.
void retry_parked_admin(node_actor* self);
protocol::node_status status_of(node_actor* self);
// How members are called in admin answers, the status and the leader hooks.
std::string name_of(const node_state& st, core::node_id id);
node_overview overview_of(node_actor* self);

// --- node_links.cpp: links to the other members.
// Starts the link a plan asks for; a refused address is reported and left
// alone (it may come from any client's write to the member directory).
void make_link(node_actor* self, const std::string& address,
               member_directory<caf::actor>::link_plan plan);
void send_raft(node_actor* self, const core::message& msg);
void learn_member(node_actor* self, const std::string& name, const std::string& address);
void announce_address(node_actor* self);

// --- node_senders.cpp: who sent the current message (docs/security.md,
// "Planes"). The node's own timers come from itself, link news from its
// process; with TLS, Raft traffic, greetings and forwarded proposals come
// from members only, administration from members and operators. Without
// TLS there are no principals.
bool from_itself(node_actor* self);
bool from_this_process(node_actor* self); // an anonymous message may come from anywhere
bool sent_by_at_least(node_actor* self, net::peer_role least);
// With TLS, a Raft message comes from the member it names as its sender:
// from a member's connection, of the node that greeted under that name.
bool sent_by_raft_peer(node_actor* self, core::node_id from);
dref::error not_a_member(const char* what); // what: "greetings", ...
protocol::admin_reply not_an_operator();

} // namespace dref::raft::node
