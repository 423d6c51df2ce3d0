#include "dref/backends/seam/backend_actor.hpp"
#include "dref/log.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/input_checks.hpp"
#include "node_state.hpp"
#include "peer_link.hpp"

#include <caf/event_based_actor.hpp>

namespace dref::raft::node {

std::chrono::steady_clock::time_point now() {
  return std::chrono::steady_clock::now();
}

std::uint64_t leader_time_ms(node_actor* self) {
  auto& st = self->state;
  auto wall = std::chrono::system_clock::now() + st.options.wall_clock_skew;
  auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch());
  return st.clock.stamp(st.raft->term(), now(), st.machine.store().state().now_ms,
                        static_cast<std::uint64_t>(wall_ms.count()));
}

using protocol::store_proposal;
using protocol::store_read;
using protocol::store_reply;

namespace {
using ready_atom = caf::atom_constant<caf::atom("ready")>;
} // namespace

void schedule_ready(node_actor* self) {
  if (self->state.ready_scheduled)
    return;
  self->state.ready_scheduled = true;
  self->send(self, ready_atom::value);
}

void fail_fatally(node_actor* self, const error& err) {
  log(log_level::error, "node " + self->state.options.name + " stops: " + err.message);
  self->state.failed = true;
  self->quit(to_caf_error(err));
}

namespace {

// --- start -----------------------------------------------------------------

core::config core_config(const node_state& st, std::vector<core::node_id> voters) {
  core::config cfg;
  cfg.id = st.self_id;
  cfg.voters = std::move(voters);
  auto tick = std::max<std::int64_t>(1, st.options.tick.count());
  cfg.heartbeat_ticks =
      static_cast<int>(std::max<std::int64_t>(1, st.options.heartbeat.count() / tick));
  cfg.election_ticks = static_cast<int>(
      std::max<std::int64_t>(cfg.heartbeat_ticks * 3, st.options.election.count() / tick));
  cfg.seed = st.self_id ^ static_cast<std::uint64_t>(now().time_since_epoch().count());
  return cfg;
}

void start_raft(node_actor* self, std::vector<core::node_id> voters) {
  auto& st = self->state;
  st.raft =
      std::make_unique<core::node>(core_config(st, std::move(voters)), std::move(st.restored));
  st.restored = {};
  process_ready(self);
  // Anything parked while the node was starting can go now.
  for (auto& p : st.proposals.take_parked())
    route_proposal(self, std::move(p));
  announce_address(self);
}

// A fresh cluster starts once every configured member answered, so that all
// of them write the same initial membership.
void maybe_bootstrap(node_actor* self) {
  auto& st = self->state;
  if (st.raft)
    return;
  auto voters = st.members.initial_voters(st.self_id);
  if (!voters)
    return;
  start_raft(self, st.options.join ? std::vector<core::node_id>{} : *voters);
}

} // namespace

namespace {

// --- proposals ---------------------------------------------------------------

// The store refuses oversize values anyway, but only after they went
// through the log; this keeps them off the log and the network.
std::optional<error> oversize(const node_state& st, std::size_t bytes) {
  constexpr std::size_t envelope = 64 * 1024; // ids, metadata, framing
  if (bytes <= st.options.limits.max_value_bytes + envelope)
    return std::nullopt;
  return error{errc::value_too_large, "a proposal of " + std::to_string(bytes) +
                                          " bytes is over the value limit of " +
                                          std::to_string(st.options.limits.max_value_bytes) +
                                          " bytes (limits.max_value_bytes)"};
}

void propose_as_leader(node_actor* self, store_proposal proposal, proposal_waiter promise,
                       bool forwarded, std::chrono::steady_clock::time_point deadline) {
  auto& st = self->state;
  proposal.leader_time_ms = leader_time_ms(self);
  auto data = protocol::encode(proposal);
  // Measured on the entry itself, so that the leader encodes each proposal
  // once; a follower measured what it forwarded (same limits everywhere).
  if (auto too_big = oversize(st, data.size()); too_big && !forwarded) {
    promise.deliver(to_caf_error(*too_big));
    return;
  }
  auto index = st.raft->propose(proposal.client_id, proposal.sequence, std::move(data));
  if (!index) {
    // Refused while still leading (a leadership transfer in progress): park
    // it for the next tick's routing. Routing it again now would come
    // straight back here, without end, while the transfer lasts.
    if (forwarded)
      promise.deliver(to_caf_error(index.error()));
    else
      st.proposals.park(routed_proposal{std::move(proposal), std::move(promise), deadline});
    return;
  }
  st.proposals.add_pending(*index,
                           {std::move(proposal), std::move(promise), forwarded, deadline, now()});
  schedule_ready(self);
}

} // namespace

void route_proposal(node_actor* self, routed_proposal p) {
  auto& st = self->state;
  auto leader = st.raft ? st.raft->leader() : core::no_node;
  auto remote = st.members.reachable(leader);
  auto leading = st.raft && st.raft->role() == core::role::leader;
  switch (route_for(now(), p.deadline, st.raft != nullptr, leading, remote.has_value())) {
    case route::too_late:
      p.waiter.deliver(
          to_caf_error(error{errc::timeout, "no leader accepted the proposal in time"}));
      return;
    case route::park:
      st.proposals.park(std::move(p));
      return;
    case route::propose_here:
      propose_as_leader(self, std::move(p.proposal), std::move(p.waiter), false, p.deadline);
      return;
    case route::forward: {
      auto bytes = protocol::encoded_size(p.proposal);
      if (auto too_big = oversize(st, bytes)) {
        p.waiter.deliver(to_caf_error(*too_big));
        return;
      }
      forward_to_leader(self, leader, std::move(p), bytes);
      return;
    }
  }
}

namespace {

// --- reads -------------------------------------------------------------------

} // namespace

void start_read_round(node_actor* self) {
  auto& st = self->state;
  if (!st.raft || !st.reads.round_wanted())
    return;
  auto context = st.reads.next_context();
  if (auto asked = st.raft->read_index(context); !asked)
    return; // no leader yet: the queue waits for the next tick
  st.reads.start(std::move(context));
  process_ready(self);
}

namespace {

void expire_requests(node_actor* self) {
  auto& st = self->state;
  auto t = now();
  for (auto& read : st.reads.take_expired(t))
    read.promise.deliver(to_caf_error(error{errc::timeout, "no linearizable answer in time"}));
  // A round whose answer was lost (leader change, dropped message) is asked
  // again after an election timeout.
  st.reads.age(2 * core_config(st, {}).election_ticks);
  auto admin = st.admin.take_expired(t);
  if (admin.transfer_expired)
    st.raft->cancel_transfer();
  for (auto& [promise, reply] : admin.answers)
    promise.deliver(std::move(reply));
  for (auto& promise : st.proposals.take_expired(t))
    promise.deliver(to_caf_error(error{errc::timeout, "the proposal was not committed in time"}));
}

// --- what clients send ------------------------------------------------------

// A client's proposal, alone or in a batch: internal commands are refused
// (store::refuse_internal), the rest routed.
void take_proposal(node_actor* self, store_proposal proposal, proposal_waiter waiter,
                   std::chrono::steady_clock::time_point deadline) {
  if (auto ok = store::refuse_internal(proposal.command); !ok) {
    waiter.deliver(store::refusal_reply(std::move(ok).error()));
    return;
  }
  route_proposal(self, routed_proposal{std::move(proposal), std::move(waiter), deadline});
}

// A client's read, alone or in a batch: a stale one is answered from what
// this member applied so far (store_reads.hpp), a linearizable one waits
// for a read round (the caller starts it once its reads are queued).
void take_read(node_actor* self, store_read request, read_waiter waiter,
               std::chrono::steady_clock::time_point deadline) {
  auto& s = self->state;
  if (request.stale)
    waiter.deliver(s.machine.store().read(request));
  else
    s.reads.enqueue(read_request{std::move(request), std::move(waiter), std::nullopt}, deadline);
}

// A batch (store_batches.hpp), a client's or a follower's forwards: each
// item taken as it would be alone, with a waiter for its slot; the batch
// is answered on promise in one message once its last item is (with_index:
// see batch_answer).
template <class BatchReply, class Items, class Take>
caf::response_promise take_batch(node_actor* self, caf::response_promise promise, Items& items,
                                 Take take, bool with_index = false) {
  if (auto refused = protocol::refuse_batch_size(items.size())) {
    promise.deliver(to_caf_error(*refused));
    return promise;
  }
  auto answer = std::make_shared<batch_answer<BatchReply>>(promise, items.size(), with_index);
  auto deadline = now() + self->state.options.request_timeout;
  for (std::size_t i = 0; i < items.size(); ++i)
    take(self, std::move(items[i]), waiter<BatchReply>{answer, i}, deadline);
  return promise;
}

// A follower's forwarded proposal, proposed here as the leader.
void take_forwarded(node_actor* self, store_proposal proposal, proposal_waiter waiter,
                    std::chrono::steady_clock::time_point deadline) {
  propose_as_leader(self, std::move(proposal), std::move(waiter), true, deadline);
}

// --- ticks -------------------------------------------------------------------

void on_tick(node_actor* self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.tick, protocol::tick_atom::value);
  if (!st.raft) {
    // Admin requests parked while the member starts fail at their deadline.
    for (auto& [promise, reply] : st.admin.take_expired(now()).answers)
      promise.deliver(std::move(reply));
    return;
  }
  st.raft->tick();
  process_ready(self);
  st.figures.leader_seen(st.raft->leader());
  if (auto answer = st.admin.leader_is(st.raft->leader()))
    answer->first.deliver(std::move(answer->second));
  expire_requests(self);
  retry_parked_admin(self);
  st.proposals.reroute(st.raft->leader());
  for (auto& p : st.proposals.take_parked())
    route_proposal(self, std::move(p));
  start_read_round(self);
  if (st.raft->role() != core::role::leader)
    return;
  // Time moves inside the store only through entries: the leader proposes
  // an expiry check while sessions exist.
  if (auto check = st.machine.expiry_check(st.raft->term(), now(), st.options.expiry_interval,
                                           leader_time_ms(self))) {
    if (!st.raft->propose(0, 0, std::move(*check)))
      st.machine.expiry_check_refused();
    process_ready(self);
  }
}

} // namespace

caf::behavior node_behavior(node_actor* self) {
  auto& st = self->state;
  self->set_down_handler(
      [self](const caf::down_msg& down) { self->state.watchers.drop(down.source); });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    for (auto& [address, link] : self->state.members.links())
      self->send_exit(link, msg.reason);
    self->quit(msg.reason);
  });
  for (const auto& peer : st.options.peers) {
    auto address = peer.to_string();
    if (address == st.members.own_address())
      continue;
    st.members.expect(address);
    make_link(self, address, st.members.link_needed(address));
  }
  if (restarted(st.restored)) {
    // A restart: the log knows the members.
    if (st.restored.snapshot.index > 0) {
      core::snapshot snap{st.restored.snapshot, st.restored.snapshot_data};
      install_snapshot(self, snap);
    }
    start_raft(self, {});
  } else {
    maybe_bootstrap(self);
  }
  self->send(self, protocol::tick_atom::value);
  return backend::seam_and_own(
      // The backend seam (backend_actor.hpp). Each typed promise also goes on
      // as the untyped one the parts keep (one type for every waiter).
      {
          [self](protocol::propose_atom, store_proposal& proposal) {
            auto promise = self->make_response_promise<protocol::store_reply>();
            take_proposal(self, std::move(proposal), promise,
                          now() + self->state.options.request_timeout);
            return promise;
          },
          [self](protocol::read_atom, store_read& request) {
            auto promise = self->make_response_promise<protocol::store_read_reply>();
            take_read(self, std::move(request), promise,
                      now() + self->state.options.request_timeout);
            start_read_round(self);
            return promise;
          },
          [self](protocol::watch_atom, const std::string& id, const caf::actor& watcher) {
            auto promise = self->make_response_promise<std::uint64_t>();
            auto& s = self->state;
            self->monitor(watcher);
            s.reads.enqueue(read_request{{}, promise, watch_start{id, watcher}},
                            now() + s.options.request_timeout);
            start_read_round(self);
            return promise;
          },
          [self](protocol::unwatch_atom, const std::string& id, const caf::actor& watcher) {
            self->state.watchers.remove(id, watcher);
          },
      },
      // A stale read (atoms.hpp): what this member applied so far.
      [self](protocol::read_atom, protocol::local_atom, const store_read& request) {
        return self->state.machine.store().read(request);
      },
      // A client's batch, from the client port (take_batch).
      [self](protocol::propose_atom, protocol::proposal_batch& batch) {
        return take_batch<protocol::proposal_batch_reply>(self, self->make_response_promise(),
                                                          batch.proposals, take_proposal);
      },
      [self](protocol::read_atom, protocol::read_batch& batch) {
        auto promise = take_batch<protocol::read_batch_reply>(self, self->make_response_promise(),
                                                              batch.reads, take_read);
        start_read_round(self);
        return promise;
      },
      // A watcher that moves here from another member with the revision it
      // had (watch_relay.hpp): what it missed since, from the history, then
      // the live events; errc::compacted when the history no longer reaches.
      [self](protocol::watch_atom, const std::string& id, const caf::actor& watcher,
             std::uint64_t after) -> caf::result<std::uint64_t> {
        auto& s = self->state;
        auto missed = s.history.since(id, after);
        if (!missed)
          return to_caf_error(error{errc::compacted, "events after revision " +
                                                         std::to_string(after) +
                                                         " are no longer kept here (from " +
                                                         std::to_string(s.history.floor()) + ")"});
        self->monitor(watcher);
        s.watchers.add(id, watcher);
        for (const auto& e : *missed)
          self->send(watcher, e);
        return s.machine.store().applied_index();
      },
      // The node's own messages (docs/security.md, "Planes"): its timers come
      // from itself, link news from its peer links, link cuts from this
      // process unless the failpoint lets the network send them; the same
      // messages from anywhere else are dropped.
      [self](protocol::tick_atom) {
        if (from_itself(self))
          on_tick(self);
      },
      [self](protocol::raft_message& msg) {
        auto& s = self->state;
        if (!s.raft || s.members.drops_incoming(msg.from) || msg.to != s.self_id ||
            !sent_by_raft_peer(self, msg.from))
          return;
        s.raft->step(msg);
        schedule_ready(self);
      },
      [self](ready_atom) {
        if (!from_itself(self))
          return;
        self->state.ready_scheduled = false;
        send_forwards(self);
        process_ready(self);
      },
      // Sent anonymously by the storage writer's thread; from anywhere else
      // it finds nothing completed and changes nothing.
      [self](persisted_atom) { on_persisted(self); },
      [self](const protocol::hello& remote) {
        if (!sent_by_at_least(self, net::peer_role::member))
          return protocol::hello_reply{{}, not_a_member("greetings")};
        return protocol::answer_hello(self->state.hello, remote);
      },
      [self](const protocol::limits_offer& remote) {
        if (!sent_by_at_least(self, net::peer_role::member))
          return protocol::hello_reply{{}, not_a_member("greetings")};
        return protocol::answer_limits(self->state.limits_offer, remote);
      },
      [self](link_up_atom, const std::string& address, const std::string& name, caf::actor remote) {
        auto& s = self->state;
        if (!from_this_process(self))
          return;
        // Two processes under one node id would be one raft member voting
        // twice: keep the second away (and unresolved, so no cluster forms
        // around the clash) until an operator fixes it.
        if (auto clash = s.members.clash_with(address, name)) {
          if (clash->first_report)
            log(log_level::error, "node " + s.options.name + ": members at " +
                                      clash->other_address + " and " + address +
                                      " both use node id '" + name + "'; ignoring " + address +
                                      " until each node has its own id");
          return;
        }
        learn_member(self, name, address);
        s.members.connected(address, name, std::move(remote));
        maybe_bootstrap(self);
      },
      [self](link_down_atom, const std::string&, const std::string& name) {
        auto& s = self->state;
        if (!from_this_process(self))
          return;
        auto id = s.members.disconnected(name);
        // A leader that crashed closed its connections: campaign soon rather
        // than after a whole election timeout (see leader_unreachable).
        if (s.raft)
          s.raft->leader_unreachable(id);
        s.proposals.reroute(s.raft ? s.raft->leader() : core::no_node, id);
      },
      [self](link_self_atom, const std::string& address) {
        auto& s = self->state;
        if (!from_this_process(self))
          return;
        s.members.is_self(address);
        maybe_bootstrap(self);
      },
      // A follower's proposals, sent on to this member as the leader
      // (node_forwards.cpp).
      [self](protocol::forward_atom, protocol::proposal_batch& batch) {
        // Before the promise: making it takes the sender away.
        bool from_member = sent_by_at_least(self, net::peer_role::member);
        auto promise = self->make_response_promise();
        auto& s = self->state;
        if (!from_member) {
          promise.deliver(to_caf_error(not_a_member("forwarded proposals")));
          return promise;
        }
        if (!s.raft || s.raft->role() != core::role::leader) {
          promise.deliver(to_caf_error(error{errc::not_leader, "not the leader"}));
          return promise;
        }
        return take_batch<protocol::proposal_batch_reply>(self, std::move(promise), batch.proposals,
                                                          take_forwarded, true);
      },
      // --- admin and failure drills
      [self](protocol::status_atom) { return status_of(self); },
      [self](protocol::read_atom, protocol::local_atom,
             overview_atom) -> caf::result<node_overview> {
        if (!from_this_process(self))
          return caf::sec::unexpected_message;
        return overview_of(self);
      },
      [self](protocol::status_atom, protocol::digest_atom) {
        auto out = status_of(self);
        out.state_digest = self->state.machine.state_digest();
        return out;
      },
      [self](const protocol::member_change& change) {
        bool from_operator = sent_by_at_least(self, net::peer_role::operator_);
        auto promise = self->make_response_promise();
        if (!from_operator)
          promise.deliver(not_an_operator());
        else
          change_membership(self, change, promise);
        return promise;
      },
      [self](const protocol::leader_transfer& request) {
        bool from_operator = sent_by_at_least(self, net::peer_role::operator_);
        auto promise = self->make_response_promise();
        if (!from_operator)
          promise.deliver(not_an_operator());
        else
          transfer_leadership(self, request, promise);
        return promise;
      },
      [self](hand_over_atom) {
        // Before make_response_promise, which takes the sender over.
        bool local = from_this_process(self);
        auto promise = self->make_response_promise();
        if (!local)
          promise.deliver(not_an_operator());
        else
          hand_over_before_stopping(self, promise);
        return promise;
      },
      [self](protocol::fault_atom, const std::string& name, bool outgoing, bool incoming) {
        if (!from_this_process(self) && !self->state.options.network_faults)
          return;
        if (auto link = self->state.members.cut(name, outgoing, incoming))
          self->send(*link, protocol::fault_atom::value, outgoing);
      });
}

} // namespace dref::raft::node
