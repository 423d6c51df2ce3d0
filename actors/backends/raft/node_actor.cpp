#include "dref/backends/raft/node.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/stateful_actor.hpp>
#include <algorithm>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dref/config/load.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/raft/core/node.hpp"
#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/raft_storage.hpp"
#include "dref/store/store.hpp"
#include "dref/backends/seam/watchers.hpp"
#include "peer_link.hpp"

namespace dref::raft::node {

std::uint64_t member_id(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull; // FNV-1a
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash == 0 ? 1 : hash;
}

namespace {

using protocol::store_proposal;
using protocol::store_read;
using protocol::store_read_reply;
using protocol::store_reply;

// Where a member's address is kept in the store, so that every node can
// reach members added after it started.
constexpr std::string_view directory_prefix = "dref/members/";

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
}

// A proposal waiting for its entry to be applied.
struct pending_proposal {
  store_proposal proposal;
  caf::response_promise promise;
  bool forwarded = false; // answer (reply, index) to a follower
  std::chrono::steady_clock::time_point deadline;
};

// A proposal or read this node cannot place yet (no leader known).
struct parked_proposal {
  store_proposal proposal;
  caf::response_promise promise;
  std::chrono::steady_clock::time_point deadline;
};

// A watch starts like a linearizable read, so that it sees every write
// after one its caller already saw acknowledged (also by another member).
struct watch_start {
  std::string id;
  caf::actor watcher;
};

struct waiting_read {
  store_read request;
  caf::response_promise promise;
  std::chrono::steady_clock::time_point deadline;
  std::optional<watch_start> watch;
};

struct admin_wait {
  caf::response_promise promise;
  std::chrono::steady_clock::time_point deadline;
};

struct node_state {
  node_options options;
  std::optional<log::dir_lock> lock;
  std::optional<log::raft_storage> storage;
  core::persisted_state restored;
  std::unique_ptr<core::node> raft;
  store::store store;
  std::uint64_t applied = 0;
  std::uint64_t snapshot_index = 0;
  std::uint64_t self_id = 0;
  protocol::hello hello;
  std::string address;

  // Members: names by id, addresses by name, the link to each address, and
  // each connected member's node actor.
  std::map<std::uint64_t, std::string> names;
  std::map<std::string, std::string> addresses;
  std::map<std::string, caf::actor> links;       // by address
  std::map<std::uint64_t, caf::actor> remotes;   // connected, by id
  std::set<std::uint64_t> cut;                   // fault injection
  std::set<std::string> configured;              // peer addresses from the options
  std::set<std::string> unresolved;              // configured, not yet greeted
  std::map<std::string, std::string> greeted;    // configured address -> name
  std::set<std::string> clashes_reported;        // names two addresses claim

  std::map<std::uint64_t, pending_proposal> pending; // by log index
  std::deque<parked_proposal> parked;
  // Proposals sent on to the leader, by forward number, with the leader
  // they went to: routed again should another member lead meanwhile.
  std::map<std::uint64_t, std::pair<std::uint64_t, std::shared_ptr<parked_proposal>>> forwarded;
  std::uint64_t forwards = 0;
  // Group commit: proposals and raft messages are stepped into the core as
  // they come; one ready round (one fsync) follows the whole lot, once the
  // ready_atom this sets in motion comes round in the mailbox.
  bool ready_scheduled = false;
  // Linearizable reads: queued until the next ReadIndex round, then waiting
  // (by round context) for the leader's index, then for the apply.
  std::vector<waiting_read> read_queue;
  std::optional<std::pair<std::string, std::vector<waiting_read>>> read_round;
  int read_round_age = 0;
  std::uint64_t read_rounds = 0;
  std::multimap<std::uint64_t, waiting_read> reads_after_apply;
  // Forwarded proposals this follower is waiting on, answered once applied
  // here too (so the caller reads its own write on this node at once).
  std::multimap<std::uint64_t, std::pair<store_reply, caf::response_promise>> replies_after_apply;

  watcher_set watchers;
  // Admin requests this leader runs: membership changes by the log index
  // of their config entry, and at most one leadership transfer.
  std::map<std::uint64_t, admin_wait> conf_waiting;
  std::optional<std::pair<std::uint64_t, admin_wait>> transfer_waiting;
  bool expire_in_flight = false;
  std::chrono::steady_clock::time_point last_expire{};
  bool failed = false;
  static inline const char* name = "dref.raft_node";
};

using node_actor = caf::stateful_actor<node_state>;

void process_ready(node_actor* self);
void route_proposal(node_actor* self, parked_proposal p);

using ready_atom = caf::atom_constant<caf::atom("ready")>;

void schedule_ready(node_actor* self) {
  if (self->state.ready_scheduled)
    return;
  self->state.ready_scheduled = true;
  self->send(self, ready_atom::value);
}

error unavailable(const std::string& why) { return error{errc::unavailable, why}; }

std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

std::string describe_role(core::role r) {
  switch (r) {
  case core::role::follower: return "follower";
  case core::role::pre_candidate: return "pre_candidate";
  case core::role::candidate: return "candidate";
  case core::role::leader: return "leader";
  }
  return "unknown";
}

void fail_fatally(node_actor* self, const error& err) {
  std::cerr << "dref: node " << self->state.options.name << " stops: " << err.message << "\n";
  self->state.failed = true;
  self->quit(caf::exit_reason::unhandled_exception);
}

// --- links -----------------------------------------------------------------

void ensure_link(node_actor* self, const std::string& address) {
  auto& st = self->state;
  if (address.empty() || address == st.address || st.links.count(address))
    return;
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return;
  config::endpoint target;
  target.host = address.substr(0, colon);
  if (target.host.size() > 2 && target.host.front() == '[')
    target.host = target.host.substr(1, target.host.size() - 2);
  target.port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  st.links[address] = spawn_peer_link(self, target, st.hello);
}

void send_raft(node_actor* self, const core::message& msg) {
  auto& st = self->state;
  if (st.cut.count(msg.to))
    return;
  auto name = st.names.find(msg.to);
  if (name == st.names.end())
    return;
  auto address = st.addresses.find(name->second);
  if (address == st.addresses.end())
    return;
  auto link = st.links.find(address->second);
  if (link != st.links.end())
    self->send(link->second, msg);
}

void learn_member(node_actor* self, const std::string& name, const std::string& address) {
  auto& st = self->state;
  st.names[member_id(name)] = name;
  if (!address.empty()) {
    st.addresses[name] = address;
    ensure_link(self, address);
  }
}

// --- start -----------------------------------------------------------------

core::config core_config(const node_state& st, std::vector<core::node_id> voters) {
  core::config cfg;
  cfg.id = st.self_id;
  cfg.voters = std::move(voters);
  auto tick = std::max<std::int64_t>(1, st.options.tick.count());
  cfg.heartbeat_ticks = static_cast<int>(std::max<std::int64_t>(1, st.options.heartbeat.count() / tick));
  cfg.election_ticks = static_cast<int>(
    std::max<std::int64_t>(cfg.heartbeat_ticks * 3, st.options.election.count() / tick));
  cfg.seed = st.self_id ^ static_cast<std::uint64_t>(now().time_since_epoch().count());
  return cfg;
}

void announce_address(node_actor* self);

void start_raft(node_actor* self, std::vector<core::node_id> voters) {
  auto& st = self->state;
  st.raft = std::make_unique<core::node>(core_config(st, std::move(voters)), std::move(st.restored));
  st.restored = {};
  process_ready(self);
  // Anything parked while the node was starting can go now.
  auto parked = std::move(st.parked);
  st.parked.clear();
  for (auto& p : parked)
    route_proposal(self, std::move(p));
  announce_address(self);
}

// A fresh cluster starts once every configured member answered, so that all
// of them write the same initial membership.
void maybe_bootstrap(node_actor* self) {
  auto& st = self->state;
  if (st.raft || !st.unresolved.empty())
    return;
  std::vector<core::node_id> voters{st.self_id};
  for (const auto& [address, name] : st.greeted)
    voters.push_back(member_id(name));
  std::sort(voters.begin(), voters.end());
  voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
  start_raft(self, st.options.join ? std::vector<core::node_id>{} : voters);
}

// --- apply -----------------------------------------------------------------

void fan_out(node_actor* self, const std::vector<protocol::store_event>& events) {
  self->state.watchers.notify(self, events);
  for (const auto& e : events) {
    if (e.id.starts_with(directory_prefix)) {
      auto name = e.id.substr(directory_prefix.size());
      if (auto value = self->state.store.get(e.id); value && name != self->state.options.name)
        learn_member(self, name, value->value);
    }
  }
}

void answer_pending(node_actor* self, std::uint64_t index, const core::entry& entry,
                    const store_reply* reply) {
  auto& st = self->state;
  auto it = st.pending.find(index);
  if (it == st.pending.end())
    return;
  auto p = std::move(it->second);
  st.pending.erase(it);
  bool ours = reply && entry.client_id == p.proposal.client_id
              && entry.sequence == p.proposal.sequence;
  if (ours) {
    if (p.forwarded)
      p.promise.deliver(*reply, index);
    else
      p.promise.deliver(*reply);
    return;
  }
  // Another leader's entry took this index: ours may still be in the log
  // later or lost; ask again under the same sequence (at most once).
  if (p.forwarded)
    p.promise.deliver(to_caf_error(unavailable("leadership changed; retry")));
  else
    route_proposal(self, parked_proposal{std::move(p.proposal), std::move(p.promise), p.deadline});
}

void serve_read(node_actor* self, waiting_read& r) {
  auto& st = self->state;
  if (r.watch) {
    st.watchers.add(r.watch->id, r.watch->watcher);
    r.promise.deliver(st.store.applied_index());
    return;
  }
  r.promise.deliver(st.store.read(r.request));
}

void after_apply(node_actor* self) {
  auto& st = self->state;
  while (!st.reads_after_apply.empty() && st.reads_after_apply.begin()->first <= st.applied) {
    serve_read(self, st.reads_after_apply.begin()->second);
    st.reads_after_apply.erase(st.reads_after_apply.begin());
  }
  while (!st.replies_after_apply.empty() && st.replies_after_apply.begin()->first <= st.applied) {
    auto& [reply, promise] = st.replies_after_apply.begin()->second;
    promise.deliver(reply);
    st.replies_after_apply.erase(st.replies_after_apply.begin());
  }
}

void apply_entry(node_actor* self, const core::entry& entry) {
  auto& st = self->state;
  if (entry.index <= st.applied)
    return;
  if (entry.type == core::entry_type::normal && !entry.data.empty()) {
    auto proposal = protocol::decode<store_proposal>(entry.data);
    if (!proposal) {
      // Every member decodes the same bytes the same way, so skipping keeps
      // them in step; the proposer gets the reason.
      store_reply reply;
      reply.error = proposal.error();
      answer_pending(self, entry.index, entry, &reply);
    } else {
      auto out = st.store.apply(entry.index, *proposal);
      if (std::holds_alternative<protocol::cmd_expire_due>(proposal->command))
        st.expire_in_flight = false;
      fan_out(self, out.events);
      answer_pending(self, entry.index, entry, &out.reply);
    }
  } else {
    answer_pending(self, entry.index, entry, nullptr);
  }
  if (auto waiting = st.conf_waiting.find(entry.index); waiting != st.conf_waiting.end()) {
    protocol::admin_reply reply;
    if (entry.type != core::entry_type::config)
      reply.error = error{errc::unavailable, "leadership changed before the membership change "
                                             "committed; it did not happen: try again"};
    waiting->second.promise.deliver(std::move(reply));
    st.conf_waiting.erase(waiting);
  }
  st.applied = entry.index;
}

void install_snapshot(node_actor* self, const core::snapshot& snap) {
  auto& st = self->state;
  auto restored = store::store::restore(snap.data, st.options.limits);
  if (!restored) {
    fail_fatally(self, error{errc::corrupt_data, "snapshot from the leader at index "
                                                   + std::to_string(snap.metadata.index)
                                                   + " cannot be restored: "
                                                   + restored.error().message});
    return;
  }
  st.store = std::move(*restored);
  st.applied = snap.metadata.index;
  st.snapshot_index = snap.metadata.index;
  for (const auto& [id, value] : st.store.state().values)
    if (id.starts_with(directory_prefix))
      learn_member(self, id.substr(directory_prefix.size()), value.value);
}

void maybe_compact(node_actor* self) {
  auto& st = self->state;
  if (st.applied < st.snapshot_index + st.options.snapshot_every)
    return;
  auto& log = st.raft->log();
  auto index = std::min(st.applied, log.stable_index());
  if (index <= log.snapshot_index())
    return;
  auto data = st.store.snapshot();
  if (auto compacted = st.raft->compact(index, data); !compacted)
    return; // e.g. not durable yet; try again later
  const auto& snap = st.raft->latest_snapshot();
  if (!snap)
    return;
  std::vector<core::entry> tail;
  for (auto i = index + 1; i <= log.stable_index(); ++i)
    tail.push_back(log.at(i));
  core::hard_state hard{st.raft->term(), st.raft->voted_for(), log.committed()};
  if (auto saved = st.storage->compact(*snap, hard, tail); !saved) {
    fail_fatally(self, saved.error());
    return;
  }
  st.snapshot_index = index;
}

// --- the ready loop ----------------------------------------------------------

void start_read_round(node_actor* self);

void process_ready(node_actor* self) {
  auto& st = self->state;
  while (st.raft && st.raft->has_ready() && !st.failed) {
    auto r = st.raft->ready();
    for (const auto& m : r.messages_now)
      send_raft(self, m);
    if (auto saved = st.storage->save(r); !saved) {
      fail_fatally(self, saved.error());
      return;
    }
    if (r.snapshot_to_install)
      install_snapshot(self, *r.snapshot_to_install);
    for (const auto& m : r.messages_after_persist)
      send_raft(self, m);
    for (const auto& e : r.committed)
      apply_entry(self, e);
    for (auto& rs : r.reads) {
      if (!st.read_round || st.read_round->first != rs.context)
        continue;
      for (auto& w : st.read_round->second)
        st.reads_after_apply.emplace(rs.index, std::move(w));
      st.read_round.reset();
    }
    after_apply(self);
    st.raft->advance(r);
  }
  if (st.raft && !st.failed) {
    maybe_compact(self);
    if (!st.read_round && !st.read_queue.empty())
      start_read_round(self);
  }
}

// --- proposals ---------------------------------------------------------------

void propose_as_leader(node_actor* self, store_proposal proposal, caf::response_promise promise,
                       bool forwarded, std::chrono::steady_clock::time_point deadline) {
  auto& st = self->state;
  proposal.leader_time_ms = wall_ms();
  auto data = protocol::encode(proposal);
  auto index = st.raft->propose(proposal.client_id, proposal.sequence, std::move(data));
  if (!index) {
    if (forwarded)
      promise.deliver(to_caf_error(index.error()));
    else
      route_proposal(self, parked_proposal{std::move(proposal), std::move(promise), deadline});
    return;
  }
  st.pending[*index] = pending_proposal{std::move(proposal), std::move(promise), forwarded, deadline};
  schedule_ready(self);
}

// The store refuses oversize values anyway, but only after they went
// through the log; this keeps them off the log and the network.
std::optional<error> oversize(const node_state& st, const store_proposal& p) {
  auto bytes = protocol::encode(p).size();
  constexpr std::size_t envelope = 64 * 1024; // ids, metadata, framing
  if (bytes <= st.options.limits.max_value_bytes + envelope)
    return std::nullopt;
  return error{errc::value_too_large,
               "a proposal of " + std::to_string(bytes) + " bytes is over the value limit of "
                 + std::to_string(st.options.limits.max_value_bytes)
                 + " bytes (limits.max_value_bytes)"};
}

void route_proposal(node_actor* self, parked_proposal p) {
  auto& st = self->state;
  if (auto too_big = oversize(st, p.proposal)) {
    p.promise.deliver(to_caf_error(*too_big));
    return;
  }
  if (now() >= p.deadline) {
    p.promise.deliver(to_caf_error(error{errc::timeout, "no leader accepted the proposal in time"}));
    return;
  }
  if (!st.raft) {
    st.parked.push_back(std::move(p));
    return;
  }
  if (st.raft->role() == core::role::leader) {
    propose_as_leader(self, std::move(p.proposal), std::move(p.promise), false, p.deadline);
    return;
  }
  auto leader = st.remotes.find(st.raft->leader());
  if (leader == st.remotes.end() || st.cut.count(st.raft->leader())) {
    st.parked.push_back(std::move(p));
    return;
  }
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - now());
  auto shared = std::make_shared<parked_proposal>(std::move(p));
  auto number = ++st.forwards;
  st.forwarded.emplace(number, std::make_pair(st.raft->leader(), shared));
  // An answer to a forward that was routed again since is dropped here.
  auto still_forwarded = [self, number] { return self->state.forwarded.erase(number) > 0; };
  self->request(leader->second, remaining, protocol::forward_atom::value, shared->proposal)
    .then(
      [self, shared, still_forwarded](store_reply& reply, std::uint64_t index) {
        if (!still_forwarded())
          return;
        if (self->state.applied >= index)
          shared->promise.deliver(std::move(reply));
        else
          self->state.replies_after_apply.emplace(
            index, std::make_pair(std::move(reply), std::move(shared->promise)));
      },
      [self, shared, still_forwarded](caf::error& err) {
        if (!still_forwarded())
          return;
        auto failure = from_caf_error(err);
        if (failure.code == errc::timeout) {
          shared->promise.deliver(err);
          return;
        }
        // Not the leader any more, or unreachable: try again (same sequence).
        self->state.parked.push_back(std::move(*shared));
      });
}

// A leader that crashed never answers what was forwarded to it; once
// another member leads, those proposals go there (the same client id and
// sequence: the store answers a repeat from its reply cache, so one that
// did commit is not applied twice). So do those sent to a member whose link
// went down (`gone`): their answer cannot come back on it.
void reroute_forwarded(node_actor* self, std::uint64_t gone = core::no_node) {
  auto& st = self->state;
  auto leader = st.raft ? st.raft->leader() : core::no_node;
  for (auto it = st.forwarded.begin(); it != st.forwarded.end();) {
    auto target = it->second.first;
    if (target != gone && (target == leader || leader == core::no_node)) {
      ++it;
      continue;
    }
    st.parked.push_back(std::move(*it->second.second));
    it = st.forwarded.erase(it);
  }
}

// --- reads -------------------------------------------------------------------

void start_read_round(node_actor* self) {
  auto& st = self->state;
  auto context = "r" + std::to_string(++st.read_rounds);
  if (auto asked = st.raft->read_index(context); !asked)
    return; // no leader yet: the queue waits for the next tick
  st.read_round.emplace(std::move(context), std::move(st.read_queue));
  st.read_queue.clear();
  st.read_round_age = 0;
  process_ready(self);
}

void expire_requests(node_actor* self) {
  auto& st = self->state;
  auto t = now();
  auto late = [&](auto& w) {
    if (t < w.deadline)
      return false;
    w.promise.deliver(to_caf_error(error{errc::timeout, "no linearizable answer in time"}));
    return true;
  };
  std::erase_if(st.read_queue, late);
  for (auto it = st.reads_after_apply.begin(); it != st.reads_after_apply.end();)
    it = late(it->second) ? st.reads_after_apply.erase(it) : std::next(it);
  // A round whose answer was lost (leader change, dropped message) is asked
  // again after an election timeout.
  if (st.read_round && ++st.read_round_age > 2 * core_config(st, {}).election_ticks) {
    for (auto& w : st.read_round->second)
      st.read_queue.push_back(std::move(w));
    st.read_round.reset();
  }
  for (auto it = st.conf_waiting.begin(); it != st.conf_waiting.end();) {
    if (t < it->second.deadline) {
      ++it;
      continue;
    }
    it->second.promise.deliver(protocol::admin_reply{
      error{errc::timeout, "the membership change was not committed in time; its outcome is "
                           "unknown (see members list)"}});
    it = st.conf_waiting.erase(it);
  }
  if (st.transfer_waiting && t >= st.transfer_waiting->second.deadline) {
    st.raft->cancel_transfer();
    st.transfer_waiting->second.promise.deliver(protocol::admin_reply{
      error{errc::timeout, "leadership did not move in time"}});
    st.transfer_waiting.reset();
  }
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (t >= it->second.deadline) {
      it->second.promise.deliver(
        to_caf_error(error{errc::timeout, "the proposal was not committed in time"}));
      it = st.pending.erase(it);
    } else {
      ++it;
    }
  }
}

// --- ticks -------------------------------------------------------------------

void on_tick(node_actor* self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.tick, protocol::tick_atom::value);
  if (!st.raft)
    return;
  st.raft->tick();
  process_ready(self);
  if (st.transfer_waiting && st.raft->leader() == st.transfer_waiting->first) {
    st.transfer_waiting->second.promise.deliver(protocol::admin_reply{});
    st.transfer_waiting.reset();
  }
  expire_requests(self);
  reroute_forwarded(self);
  auto parked = std::move(st.parked);
  st.parked.clear();
  for (auto& p : parked)
    route_proposal(self, std::move(p));
  if (!st.read_round && !st.read_queue.empty())
    start_read_round(self);
  if (st.raft->role() != core::role::leader)
    return;
  // Time moves inside the store only through entries: the leader proposes
  // an expiry check while sessions exist.
  if (!st.store.state().sessions.empty() && !st.expire_in_flight
      && now() - st.last_expire >= st.options.expiry_interval) {
    st.expire_in_flight = true;
    st.last_expire = now();
    auto data = protocol::encode(store_proposal{0, 0, 0, wall_ms(), protocol::cmd_expire_due{}});
    if (!st.raft->propose(0, 0, std::move(data)))
      st.expire_in_flight = false;
    process_ready(self);
  }
}

void announce_address(node_actor* self) {
  auto& st = self->state;
  auto id = std::string{directory_prefix} + st.options.name;
  if (auto current = st.store.get(id); current && current->value == st.address)
    return;
  parked_proposal p;
  p.proposal = store_proposal{0, 0, 0, 0, protocol::cmd_set{id, st.address}};
  p.deadline = now() + std::chrono::hours{24}; // nobody waits for the answer
  route_proposal(self, std::move(p));
}


// --- admin: membership and leadership ------------------------------------------

bool has_member(const std::vector<core::node_id>& ids, core::node_id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string member_names(const node_state& st) {
  std::string out;
  auto add = [&](core::node_id id) {
    if (!out.empty())
      out += ", ";
    if (id == st.self_id)
      out += st.options.name;
    else if (auto name = st.names.find(id); name != st.names.end())
      out += name->second;
    else
      out += std::to_string(id);
  };
  for (auto id : st.raft->membership().voters)
    add(id);
  for (auto id : st.raft->membership().learners)
    add(id);
  return out;
}

// Answers an admin request with an error that names what was wrong.
void refuse_admin(caf::response_promise& promise, errc code, std::string text) {
  promise.deliver(protocol::admin_reply{error{code, std::move(text)}});
}

// Followers hand admin requests to the leader; false: answered here.
template <class Request>
bool forward_admin(node_actor* self, const Request& request, caf::response_promise& promise) {
  auto& st = self->state;
  if (!st.raft) {
    refuse_admin(promise, errc::unavailable, "this member is still starting");
    return true;
  }
  if (st.raft->role() == core::role::leader)
    return false;
  auto leader = st.remotes.find(st.raft->leader());
  if (leader == st.remotes.end() || st.cut.count(st.raft->leader())) {
    refuse_admin(promise, errc::unavailable,
                 "no leader is reachable from " + st.options.name + " right now");
    return true;
  }
  self->request(leader->second, st.options.request_timeout, request)
    .then([promise](protocol::admin_reply& reply) mutable { promise.deliver(std::move(reply)); },
          [promise](caf::error& err) mutable {
            promise.deliver(protocol::admin_reply{from_caf_error(err)});
          });
  return true;
}

void change_membership(node_actor* self, const protocol::member_change& change,
                       caf::response_promise promise) {
  auto fail = [&](errc code, std::string text) { refuse_admin(promise, code, std::move(text)); };
  if (change.name.empty())
    return fail(errc::invalid_argument, "a membership change needs the member's name");
  if (forward_admin(self, change, promise))
    return;
  auto& st = self->state;
  auto id = member_id(change.name);
  const auto& members = st.raft->membership();
  bool voter = has_member(members.voters, id);
  bool learner = has_member(members.learners, id);
  protocol::raft_conf_change conf;
  conf.node = id;
  using kind = protocol::member_change_kind;
  switch (change.kind) {
    case kind::add_learner: {
      if (voter || learner)
        return fail(errc::already_exists, "'" + change.name + "' is already a member (as "
                                            + (voter ? "voter" : "learner") + ")");
      auto address = config::parse_endpoint(change.address);
      if (!address)
        return fail(errc::invalid_argument, "adding '" + change.name
                                              + "' needs its address as host:port: "
                                              + address.error().message);
      // Everyone learns where the new member listens from the directory, so
      // the entry goes into the log before the member does.
      auto entry = store_proposal{0, 0, 0, wall_ms(),
                                  protocol::cmd_set{std::string{directory_prefix} + change.name,
                                                    address->to_string()}};
      if (auto put = st.raft->propose(0, 0, protocol::encode(entry)); !put)
        return fail(put.error().code, put.error().message);
      conf.type = protocol::raft_conf_change_type::add_learner;
      break;
    }
    case kind::promote:
      if (voter)
        return fail(errc::invalid_argument, "'" + change.name + "' is already a voter");
      if (!learner)
        return fail(errc::not_found, "no learner named '" + change.name
                                       + "' (members: " + member_names(st) + ")");
      conf.type = protocol::raft_conf_change_type::promote_learner;
      break;
    case kind::remove:
      if (!voter && !learner)
        return fail(errc::not_found, "no member named '" + change.name
                                       + "' (members: " + member_names(st) + ")");
      conf.type = protocol::raft_conf_change_type::remove;
      break;
    default:
      return fail(errc::invalid_argument, "unknown kind of membership change");
  }
  auto index = st.raft->propose_conf_change(conf);
  if (!index)
    return fail(index.error().code, "cannot change the membership for '" + change.name
                                      + "': " + index.error().message);
  st.conf_waiting.emplace(*index, admin_wait{promise, now() + st.options.request_timeout});
  process_ready(self);
}

void transfer_leadership(node_actor* self, const protocol::leader_transfer& request,
                         caf::response_promise promise) {
  auto fail = [&](errc code, std::string text) { refuse_admin(promise, code, std::move(text)); };
  if (request.to.empty())
    return fail(errc::invalid_argument, "name the member to hand leadership to");
  if (forward_admin(self, request, promise))
    return;
  auto& st = self->state;
  auto id = member_id(request.to);
  if (id == st.self_id)
    return promise.deliver(protocol::admin_reply{});
  if (!has_member(st.raft->membership().voters, id))
    return fail(has_member(st.raft->membership().learners, id) ? errc::invalid_argument
                                                               : errc::not_found,
                "'" + request.to + "' is not a voter and cannot lead (members: "
                  + member_names(st) + ")");
  if (st.transfer_waiting)
    return fail(errc::unavailable, "a leadership transfer is already in progress");
  if (auto started = st.raft->transfer_leadership(id); !started)
    return fail(started.error().code, started.error().message);
  st.transfer_waiting.emplace(id, admin_wait{promise, now() + st.options.election * 4});
  process_ready(self);
}

// --- status and membership ---------------------------------------------------

protocol::node_status status_of(node_actor* self) {
  auto& st = self->state;
  protocol::node_status out;
  out.name = st.options.name;
  out.address = st.address;
  out.applied_index = st.applied;
  out.snapshot_index = st.snapshot_index;
  if (!st.raft) {
    out.role = "starting";
    return out;
  }
  out.role = describe_role(st.raft->role());
  out.term = st.raft->term();
  out.commit_index = st.raft->log().committed();
  if (auto leader = st.names.find(st.raft->leader()); leader != st.names.end())
    out.leader = leader->second;
  else if (st.raft->leader() == st.self_id)
    out.leader = st.options.name;
  auto add = [&](std::uint64_t id, bool voter) {
    protocol::member_info m;
    m.name = id == st.self_id ? st.options.name
                              : (st.names.count(id) ? st.names.at(id) : std::to_string(id));
    m.address = id == st.self_id ? st.address
                                 : (st.addresses.count(m.name) ? st.addresses.at(m.name) : "");
    m.voter = voter;
    m.reachable = id == st.self_id || (st.remotes.count(id) && !st.cut.count(id));
    out.members.push_back(std::move(m));
  };
  for (auto id : st.raft->membership().voters)
    add(id, true);
  for (auto id : st.raft->membership().learners)
    add(id, false);
  return out;
}

caf::behavior node_behavior(node_actor* self) {
  auto& st = self->state;
  self->set_down_handler(
    [self](const caf::down_msg& down) { self->state.watchers.drop(down.source); });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    for (auto& [address, link] : self->state.links)
      self->send_exit(link, msg.reason);
    self->quit(msg.reason);
  });
  for (const auto& peer : st.options.peers) {
    auto address = peer.to_string();
    if (address == st.address)
      continue;
    st.configured.insert(address);
    st.unresolved.insert(address);
    ensure_link(self, address);
  }
  if (!st.restored.entries.empty() || st.restored.snapshot.index > 0 || st.restored.hard.term > 0) {
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
  return {
    [self](protocol::tick_atom) { on_tick(self); },
    [self](protocol::raft_message& msg) {
      auto& s = self->state;
      if (!s.raft || s.cut.count(msg.from) || msg.to != s.self_id)
        return;
      s.raft->step(msg);
      schedule_ready(self);
    },
    [self](ready_atom) {
      self->state.ready_scheduled = false;
      process_ready(self);
    },
    [self](const protocol::hello& remote) { return protocol::answer_hello(self->state.hello, remote); },
    [self](link_up_atom, const std::string& address, const std::string& name, caf::actor remote) {
      auto& s = self->state;
      // Two processes under one node id would be one raft member voting
      // twice: keep the second away (and unresolved, so no cluster forms
      // around the clash) until an operator fixes it.
      for (const auto& [other_address, other_name] : s.greeted)
        if (other_name == name && other_address != address) {
          if (s.clashes_reported.insert(name).second)
            std::cerr << "dref: node " << s.options.name << ": members at " << other_address
                      << " and " << address << " both use node id '" << name
                      << "'; ignoring " << address << " until each node has its own id\n";
          return;
        }
      learn_member(self, name, address);
      s.remotes[member_id(name)] = std::move(remote);
      if (s.unresolved.erase(address))
        s.greeted[address] = name;
      maybe_bootstrap(self);
    },
    [self](link_down_atom, const std::string&, const std::string& name) {
      auto& s = self->state;
      auto id = member_id(name);
      s.remotes.erase(id);
      // A leader that crashed closed its connections: campaign soon rather
      // than after a whole election timeout (see leader_unreachable).
      if (s.raft)
        s.raft->leader_unreachable(id);
      reroute_forwarded(self, id);
    },
    [self](link_self_atom, const std::string& address) {
      auto& s = self->state;
      s.links.erase(address);
      s.unresolved.erase(address);
      s.configured.erase(address);
      maybe_bootstrap(self);
    },
    [self](protocol::propose_atom, store_proposal& proposal) {
      auto promise = self->make_response_promise();
      route_proposal(self, parked_proposal{std::move(proposal), promise,
                                           now() + self->state.options.request_timeout});
      return promise;
    },
    [self](protocol::forward_atom, store_proposal& proposal) {
      auto promise = self->make_response_promise();
      auto& s = self->state;
      if (!s.raft || s.raft->role() != core::role::leader) {
        promise.deliver(to_caf_error(error{errc::not_leader, "not the leader"}));
        return promise;
      }
      propose_as_leader(self, std::move(proposal), promise, true,
                        now() + s.options.request_timeout);
      return promise;
    },
    [self](protocol::read_atom, store_read& request) {
      auto promise = self->make_response_promise();
      auto& s = self->state;
      s.read_queue.push_back(
        waiting_read{std::move(request), promise, now() + s.options.request_timeout, std::nullopt});
      if (s.raft && !s.read_round)
        start_read_round(self);
      return promise;
    },
    [self](protocol::watch_atom, const std::string& id, const caf::actor& watcher) {
      auto promise = self->make_response_promise();
      auto& s = self->state;
      self->monitor(watcher);
      s.read_queue.push_back(waiting_read{{}, promise, now() + s.options.request_timeout,
                                          watch_start{id, watcher}});
      if (s.raft && !s.read_round)
        start_read_round(self);
      return promise;
    },
    [self](protocol::unwatch_atom, const std::string& id, const caf::actor& watcher) {
      self->state.watchers.remove(id, watcher);
    },
    [self](protocol::status_atom) { return status_of(self); },
    [self](const protocol::member_change& change) {
      auto promise = self->make_response_promise();
      change_membership(self, change, promise);
      return promise;
    },
    [self](const protocol::leader_transfer& request) {
      auto promise = self->make_response_promise();
      transfer_leadership(self, request, promise);
      return promise;
    },
    [self](protocol::fault_atom, const std::string& name, bool cut) {
      auto& s = self->state;
      auto id = member_id(name);
      if (cut)
        s.cut.insert(id);
      else
        s.cut.erase(id);
      if (auto address = s.addresses.find(name); address != s.addresses.end())
        if (auto link = s.links.find(address->second); link != s.links.end())
          self->send(link->second, protocol::fault_atom::value, cut);
    },
  };
}

// A port the OS says is free now (for tests and port 0): bound, read back,
// closed, then published with SO_REUSEADDR. Another process could take it
// in between; publish then fails with a clear error.
result<std::uint16_t> pick_free_port(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return error{errc::io_failed, std::string{"socket: "} + std::strerror(errno)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok)
    return error{errc::io_failed, "no free port on " + host + ": " + std::strerror(saved)};
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}

} // namespace

node_options options_from(const config::node_config& cfg) {
  node_options out;
  out.name = cfg.node_id;
  out.cluster_id = cfg.cluster_id;
  out.data_dir = cfg.data_dir;
  out.listen_host = cfg.listen_host;
  out.port = cfg.port;
  out.peers = cfg.peers;
  out.heartbeat = cfg.timeouts.heartbeat;
  out.election = cfg.timeouts.election;
  out.request_timeout = cfg.timeouts.request;
  out.limits.max_value_bytes = cfg.limits.max_value_bytes;
  out.limits.max_id_length = cfg.limits.max_id_length;
  out.limits.topic_max_messages = cfg.limits.topic_max_messages;
  return out;
}

result<started_node> start_node(caf::actor_system& sys, node_options options) {
  if (options.data_dir.empty())
    return error{errc::invalid_config, "the raft backend needs a data directory (data_dir, "
                                       "DREF_DATA_DIR or --data-dir)"};
  if (options.name.empty())
    return error{errc::invalid_config, "the node needs a name (node_id)"};
  auto lock = log::dir_lock::acquire(options.data_dir);
  if (!lock)
    return std::move(lock).error();
  core::persisted_state restored;
  log::recovery_report report;
  auto storage = log::raft_storage::open(options.data_dir, restored, &report);
  if (!storage)
    return std::move(storage).error();
  if (report.log.torn_bytes_truncated > 0)
    std::cerr << "dref: node " << options.name << ": cut " << report.log.torn_bytes_truncated
              << " bytes of an unfinished write off the end of the log\n";

  auto state = std::make_shared<node_state>();
  state->options = options;
  state->self_id = member_id(options.name);
  state->lock.emplace(std::move(*lock));
  state->storage.emplace(std::move(*storage));
  state->restored = std::move(restored);
  state->snapshot_index = state->storage->snapshot_index();
  state->store = store::store{options.limits};
  state->hello = protocol::hello{protocol::wire_format_version, options.cluster_id, options.name,
                                 options.software_version};

  auto port = options.port != 0 ? result<std::uint16_t>{options.port}
                                : pick_free_port(options.listen_host);
  if (!port)
    return std::move(port).error();
  state->address = config::endpoint{options.listen_host, *port}.to_string();
  // Not detached, although saves fsync on a worker thread: CAF 0.17's
  // detached actors can keep ~actor_system waiting for ever (CAF issues
  // #1196, #1110; seen here when several systems share a process).
  auto actor = sys.spawn([state](node_actor* self) {
    self->state = std::move(*state);
    return node_behavior(self);
  });
  auto published = sys.middleman().publish(actor, *port, options.listen_host.c_str(), true);
  if (!published) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return error{errc::io_failed, "cannot listen on " + options.listen_host + ":"
                                    + std::to_string(*port) + ": "
                                    + sys.render(published.error())};
  }
  return started_node{actor, *port};
}

} // namespace dref::raft::node
