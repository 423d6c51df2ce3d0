// Leader election: randomized timeouts, pre-vote, votes, check-quorum and
// leadership transfer.
#include "dref/raft/core/node.hpp"

#include <algorithm>

namespace dref::raft::core {

void node::randomize_timeout() {
  std::uniform_int_distribution<int> spread(0, cfg_.election_ticks - 1);
  randomized_timeout_ = cfg_.election_ticks + spread(rng_);
}

void node::tick() {
  if (role_ == core::role::leader)
    tick_heartbeat();
  else
    tick_election();
}

void node::tick_election() {
  ++election_elapsed_;
  if (ticks_since_start_ < cfg_.election_ticks)
    ++ticks_since_start_;
  if (election_elapsed_ >= randomized_timeout_ && is_voter(cfg_.id)) {
    election_elapsed_ = 0;
    campaign(cfg_.pre_vote, false);
  }
}

void node::leader_unreachable(node_id who) {
  if (role_ != core::role::follower || who == no_node || who != leader_)
    return;
  // randomized_timeout_ is election_ticks plus a random spread: followers
  // that all lost the leader still campaign at spread-out times.
  election_elapsed_ = std::max(election_elapsed_, cfg_.election_ticks);
}

void node::tick_heartbeat() {
  ++leader_ticks_;
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (transfer_to_ != no_node && ++transfer_elapsed_ >= cfg_.election_ticks) {
    // The target did not win within an election timeout: resume serving.
    cancel_transfer();
  }
  if (election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum && !check_quorum_active()) {
      // A leader that cannot reach a quorum steps down so that clients
      // look elsewhere instead of waiting on it.
      become_follower(term_, no_node);
      return;
    }
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
}

bool node::check_quorum_active() {
  auto active = count_voters([](const progress& pr) { return pr.recent_active; });
  for (auto& [id, pr] : progress_)
    pr.recent_active = false;
  return active >= quorum();
}

void node::campaign(bool pre_vote, bool transfer) {
  if (!is_voter(cfg_.id))
    return;
  std::uint64_t target_term = 0;
  if (pre_vote) {
    become_pre_candidate();
    target_term = term_ + 1;
    election_elapsed_ = 0;
    randomize_timeout();
  } else {
    become_candidate();
    target_term = term_;
  }
  votes_[cfg_.id] = true;
  if (quorum() <= 1) {
    if (pre_vote)
      campaign(false, transfer);
    else
      become_leader();
    return;
  }
  for (auto voter : members_.voters) {
    if (voter == cfg_.id)
      continue;
    // After persisting: a candidate has voted for itself in target_term.
    send(voter,
         protocol::raft_vote_request{log_.last_index(), log_.last_term(), pre_vote, transfer}, true,
         target_term);
  }
}

void node::handle_vote_request(const message& msg, const protocol::raft_vote_request& req) {
  const bool can_vote = voted_for_ == msg.from || (voted_for_ == no_node && leader_ == no_node) ||
                        (req.pre_vote && msg.term > term_);
  if (can_vote && log_.is_up_to_date(req.last_log_index, req.last_log_term)) {
    if (!req.pre_vote) {
      voted_for_ = msg.from;
      election_elapsed_ = 0;
    }
    // The vote must be durable before the candidate hears of it.
    send(msg.from, protocol::raft_vote_response{true, req.pre_vote}, true, msg.term);
  } else {
    send(msg.from, protocol::raft_vote_response{false, req.pre_vote}, true);
  }
}

void node::handle_vote_response(const message& msg, const protocol::raft_vote_response& resp) {
  if (resp.pre_vote ? role_ != core::role::pre_candidate : role_ != core::role::candidate)
    return;
  if (resp.pre_vote && resp.granted && msg.term != term_ + 1)
    return; // from some older round
  if (!is_voter(msg.from))
    return;
  votes_[msg.from] = resp.granted;
  std::size_t granted = 0;
  std::size_t rejected = 0;
  for (const auto& [voter, yes] : votes_)
    (yes ? granted : rejected) += 1;
  if (granted >= quorum()) {
    if (resp.pre_vote) {
      campaign(false, false);
    } else {
      become_leader();
      broadcast_append(true);
    }
  } else if (rejected >= quorum()) {
    become_follower(term_, no_node);
  }
}

void node::handle_timeout_now(const message&) {
  if (role_ == core::role::leader || !is_voter(cfg_.id))
    return;
  // Skip pre-vote: the leader asked us, and voters hearing that leader must
  // not ignore us (leader_transfer flag).
  campaign(false, true);
}

result<void> node::transfer_leadership(node_id to) {
  if (role_ != core::role::leader)
    return error{errc::not_leader, "only the leader can transfer leadership"};
  if (to == cfg_.id)
    return {};
  if (!is_voter(to))
    return error{errc::invalid_argument,
                 "node " + std::to_string(to) + " is not a voter and cannot lead"};
  transfer_to_ = to;
  transfer_elapsed_ = 0;
  auto& pr = progress_[to];
  if (pr.match == log_.last_index())
    send(to, protocol::raft_timeout_now{}, false);
  else
    send_append(to, pr, false);
  return {};
}

void node::cancel_transfer() {
  transfer_to_ = no_node;
  transfer_elapsed_ = 0;
}

} // namespace dref::raft::core
