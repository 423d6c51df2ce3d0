// core::node: construction, role transitions, message dispatch and the
// ready()/advance() handshake with storage.
#include "dref/raft/core/node.hpp"

#include "dref/protocol/codec.hpp"

#include <algorithm>
#include <type_traits>

namespace dref::raft::core {

node::node(config cfg, persisted_state restored)
    : cfg_(std::move(cfg))
    , rng_(cfg_.seed ^ (cfg_.id * 0x9E3779B97F4A7C15ull))
    , log_(restored.snapshot.index, restored.snapshot.term, std::move(restored.entries),
           restored.hard.commit) {
  if (restored.snapshot.index > 0) {
    snapshot_members_ = restored.snapshot.config;
    snapshot_ = std::make_shared<const core::snapshot>(
        core::snapshot{restored.snapshot, std::move(restored.snapshot_data)});
  } else {
    snapshot_members_.voters = cfg_.voters;
    snapshot_members_.learners = cfg_.learners;
  }
  const bool fresh_start =
      restored.hard == hard_state{} && restored.snapshot.index == 0 && log_.last_index() == 0;
  if (fresh_start)
    append_bootstrap_configuration();
  recompute_membership();
  term_ = restored.hard.term;
  voted_for_ = restored.hard.voted_for;
  last_hard_ = hard_state{term_, voted_for_, log_.committed()};
  become_follower(term_, no_node);
}

void node::append_bootstrap_configuration() {
  // The initial membership goes into the log as term-0 config entries, the
  // same on every initial member, so that a node that joins later and
  // replays the log from index 1 learns the whole configuration instead of
  // only the changes made after the start (with only those it could count
  // itself as the sole voter and elect itself).
  std::vector<entry> bootstrap;
  auto add = [&](node_id member, protocol::raft_conf_change_type type) {
    entry e;
    e.term = 0;
    e.index = bootstrap.size() + 1;
    e.type = entry_type::config;
    e.data = protocol::encode(protocol::raft_conf_change{type, member});
    bootstrap.push_back(std::move(e));
  };
  for (auto voter : cfg_.voters)
    add(voter, protocol::raft_conf_change_type::add_voter);
  for (auto learner : cfg_.learners)
    add(learner, protocol::raft_conf_change_type::add_learner);
  log_.append(std::move(bootstrap));
}

void node::reset(std::uint64_t term) {
  if (term != term_) {
    term_ = term;
    voted_for_ = no_node;
  }
  leader_ = no_node;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  randomize_timeout();
  votes_.clear();
  transfer_to_ = no_node;
  transfer_elapsed_ = 0;
  pending_reads_.clear();
  reads_before_first_commit_.clear();
  heartbeat_round_ = 0;
  leader_ticks_ = 0;
  round_sent_at_.clear();
  // A transfer from another leader (or term) is abandoned: within one term
  // snapshot indexes only grow, which is what lets a follower drop chunks of
  // an older snapshot; a new leader may well send an older one.
  incoming_snapshot_.reset();
  progress_.clear();
  sync_progress_with_membership();
}

void node::become_follower(std::uint64_t term, node_id leader) {
  reset(term);
  role_ = core::role::follower;
  leader_ = leader;
}

void node::become_pre_candidate() {
  // No term change and no vote: a pre-vote round must not disturb anybody.
  role_ = core::role::pre_candidate;
  votes_.clear();
  leader_ = no_node;
}

void node::become_candidate() {
  reset(term_ + 1);
  role_ = core::role::candidate;
  voted_for_ = cfg_.id;
}

void node::become_leader() {
  reset(term_);
  role_ = core::role::leader;
  leader_ = cfg_.id;
  // Conservatively treat every entry we may have as a pending change: a new
  // membership change waits until the log up to here is committed.
  pending_conf_index_ = log_.last_index();
  // Raft §5.4.2/§8: a leader may only count replicas for entries of its own
  // term, so it appends one at once to commit everything before it.
  entry noop;
  noop.type = entry_type::noop;
  append_own({std::move(noop)});
}

void node::send(node_id to, protocol::raft_payload payload, bool after_persist,
                std::uint64_t term_override) {
  message msg{cfg_.id, to, term_override != 0 ? term_override : term_, std::move(payload)};
  (after_persist ? after_persist_ : now_).push_back(std::move(msg));
}

bool node::is_voter(node_id id) const {
  return std::find(members_.voters.begin(), members_.voters.end(), id) != members_.voters.end();
}

bool node::is_member(node_id id) const {
  return is_voter(id) || std::find(members_.learners.begin(), members_.learners.end(), id) !=
                             members_.learners.end();
}

void node::step(const message& msg) {
  const auto* vote_req = std::get_if<protocol::raft_vote_request>(&msg.payload);
  const auto* vote_resp = std::get_if<protocol::raft_vote_response>(&msg.payload);
  const bool from_leader = std::holds_alternative<protocol::raft_append_entries>(msg.payload) ||
                           std::holds_alternative<protocol::raft_heartbeat>(msg.payload) ||
                           std::holds_alternative<protocol::raft_install_snapshot>(msg.payload);
  if (msg.term > term_) {
    if (vote_req != nullptr) {
      // While we hear from a live leader, a node asking for votes is
      // disruptive (partitioned and rejoining, or removed): ignore it unless
      // the leader itself asked it to take over.
      const bool may_hear_leader = leader_ != no_node || (cfg_.reads == read_mode::lease &&
                                                          ticks_since_start_ < cfg_.election_ticks);
      const bool hearing_leader =
          cfg_.check_quorum && may_hear_leader && election_elapsed_ < cfg_.election_ticks;
      if (hearing_leader && !vote_req->leader_transfer)
        return;
    }
    if (vote_req != nullptr && vote_req->pre_vote) {
      // A pre-vote request never changes our term.
    } else if (vote_resp != nullptr && vote_resp->pre_vote && vote_resp->granted) {
      // A granted pre-vote carries the term we would campaign for.
    } else {
      become_follower(msg.term, from_leader ? msg.from : no_node);
    }
  } else if (msg.term < term_) {
    if (from_leader && (cfg_.check_quorum || cfg_.pre_vote)) {
      // A stale leader (partitioned, or a node whose term did not grow with
      // pre-vote) learns our term from this and steps down.
      send(msg.from, protocol::raft_append_response{}, false);
    } else if (vote_req != nullptr && vote_req->pre_vote) {
      send(msg.from, protocol::raft_vote_response{false, true}, false);
    }
    return;
  }

  std::visit(
      [&](const auto& payload) {
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, protocol::raft_vote_request>) {
          handle_vote_request(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_vote_response>) {
          handle_vote_response(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_append_entries>) {
          if (role_ == core::role::leader)
            return; // impossible: two leaders in one term
          if (role_ != core::role::follower)
            become_follower(term_, msg.from);
          handle_append(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_heartbeat>) {
          if (role_ == core::role::leader)
            return;
          if (role_ != core::role::follower)
            become_follower(term_, msg.from);
          handle_heartbeat(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_install_snapshot>) {
          if (role_ == core::role::leader)
            return;
          if (role_ != core::role::follower)
            become_follower(term_, msg.from);
          handle_install_snapshot(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_append_response>) {
          if (role_ == core::role::leader)
            handle_append_response(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_heartbeat_response>) {
          if (role_ == core::role::leader)
            handle_heartbeat_response(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_install_snapshot_response>) {
          if (role_ == core::role::leader)
            handle_snapshot_response(msg, payload);
        } else if constexpr (std::is_same_v<T, protocol::raft_timeout_now>) {
          handle_timeout_now(msg);
        } else if constexpr (std::is_same_v<T, protocol::raft_read_index_request>) {
          if (role_ == core::role::leader)
            handle_read_request(msg.from, payload.context);
        } else if constexpr (std::is_same_v<T, protocol::raft_read_index_response>) {
          reads_.push_back(read_state{payload.context, payload.index});
        }
      },
      msg.payload);
}

result<std::uint64_t> node::propose(std::uint64_t client_id, std::uint64_t sequence,
                                    std::string data) {
  if (role_ != core::role::leader) {
    if (leader_ == no_node)
      return error{errc::not_leader, "not the leader; no leader known"};
    return error{errc::not_leader, "not the leader; leader is node " + std::to_string(leader_)};
  }
  if (transfer_to_ != no_node)
    return error{errc::unavailable,
                 "leadership transfer to node " + std::to_string(transfer_to_) + " in progress"};
  entry e;
  e.type = entry_type::normal;
  e.client_id = client_id;
  e.sequence = sequence;
  e.data = std::move(data);
  append_own({std::move(e)});
  return log_.last_index();
}

bool node::has_ready() const {
  // An installed snapshot replaces the state machine: nothing may be handed
  // out after it until the driver has installed it (advance()).
  if (snapshot_in_flight_)
    return false;
  return hard_state{term_, voted_for_, log_.committed()} != last_hard_ || log_.has_unpersisted() ||
         log_.has_to_apply() || !now_.empty() || !after_persist_.empty() || !reads_.empty() ||
         append_pending_ || commit_news_ || snapshot_to_install_.has_value();
}

core::ready node::ready() {
  if (append_pending_) {
    append_pending_ = false;
    broadcast_append(false);
  }
  if (commit_news_) {
    commit_news_ = false;
    tell_commit(false); // after the appends above, which carry the commit too
  }
  core::ready out;
  hard_state current{term_, voted_for_, log_.committed()};
  if (current != last_hard_)
    out.hard = current;
  last_hard_ = current;
  out.snapshot_to_install = std::move(snapshot_to_install_);
  snapshot_to_install_.reset();
  snapshot_in_flight_ = out.snapshot_to_install.has_value();
  out.entries = log_.take_unpersisted();
  out.committed = log_.take_to_apply();
  out.messages_now = std::move(now_);
  out.messages_after_persist = std::move(after_persist_);
  drop_superseded_acknowledgements(out.messages_after_persist);
  out.reads = std::move(reads_);
  now_.clear();
  after_persist_.clear();
  reads_.clear();
  return out;
}

void node::advance(const core::ready& done) {
  if (done.snapshot_to_install)
    snapshot_in_flight_ = false;
  if (!done.entries.empty())
    log_.stable_to(done.entries.back().index, done.entries.back().term);
  if (role_ == core::role::leader) {
    // Our own copy became durable: it may complete a quorum.
    if (maybe_commit())
      commit_news_ = true;
  }
}

} // namespace dref::raft::core
