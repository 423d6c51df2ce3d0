#pragma once
// Where each proposal this member took is, until it is answered. A proposal
// is routed (route_for) to one of: refused (its deadline passed), parked (no
// leader known or reachable: tried again on the next tick), proposed here
// (this member leads: pending by log index until that index is applied) or
// forwarded to the leader (by forward number, with the leader it went to).
// A forward goes back to the parked ones when another member leads or the
// link to its target went down, and the answer to a forward that was routed
// again since is dropped: the store answers a repeat under the same client
// id and sequence from its reply cache, so the proposal takes effect at most
// once and is answered once. A forward's answer waits until this member
// applied its index too, so that the caller reads its own write here.
//
// Waiter is what answers the caller (a response promise in the node actor);
// time comes in as arguments, never from a clock.

#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/raft/core/types.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace dref::raft::node {

enum class route {
  too_late,     // the deadline passed: answer with a timeout
  park,         // no leader known or reachable: try again on the next tick
  propose_here, // this member leads
  forward,      // send to the leader
};

// The routing policy, in the order the checks apply.
inline route route_for(std::chrono::steady_clock::time_point now,
                       std::chrono::steady_clock::time_point deadline, bool started, bool leading,
                       bool leader_reachable) {
  if (now >= deadline)
    return route::too_late;
  if (!started)
    return route::park;
  if (leading)
    return route::propose_here;
  return leader_reachable ? route::forward : route::park;
}

template <class Waiter>
class proposal_tracker {
public:
  using time_point = std::chrono::steady_clock::time_point;

  // A proposal on its way to a leader.
  struct routed {
    protocol::store_proposal proposal;
    Waiter waiter;
    time_point deadline;
  };

  // A proposal in this leader's log, waiting for its entry to be applied.
  struct pending {
    protocol::store_proposal proposal;
    Waiter waiter;
    bool forwarded = false; // a follower's: answered with (reply, index)
    time_point deadline;
    time_point proposed{}; // when it entered the log (commit latency)
  };

  // What an applied index meant for the proposal pending there.
  struct settled {
    pending proposal;
    // Its own entry was applied with a reply. Otherwise another leader's
    // entry took the index: the proposal may be later in the log or lost.
    bool ours = false;
  };

  // --- parked
  void park(routed p) { parked_.push_back(std::move(p)); }

  // Everything parked, to be routed again (oldest first).
  std::deque<routed> take_parked() {
    auto out = std::move(parked_);
    parked_.clear();
    return out;
  }

  // --- proposed here
  void add_pending(std::uint64_t index, pending p) { pending_[index] = std::move(p); }

  // The proposal pending at index, now that index was applied with the entry
  // of client_id and sequence (reply: whether the store answered it).
  std::optional<settled> settle(std::uint64_t index, std::uint64_t client_id,
                                std::uint64_t sequence, bool has_reply) {
    auto it = pending_.find(index);
    if (it == pending_.end())
      return std::nullopt;
    settled out{std::move(it->second)};
    pending_.erase(it);
    out.ours = has_reply && client_id == out.proposal.proposal.client_id &&
               sequence == out.proposal.proposal.sequence;
    return out;
  }

  // Pending proposals whose deadline passed at now, by index.
  std::vector<Waiter> take_expired(time_point now) {
    std::vector<Waiter> out;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now >= it->second.deadline) {
        out.push_back(std::move(it->second.waiter));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  // --- forwarded
  // Records p as sent to leader; the number identifies the answer.
  std::uint64_t forward(core::node_id leader, routed p) {
    auto number = ++forwards_;
    forwarded_.emplace(number, std::make_pair(leader, std::move(p)));
    return number;
  }

  // The proposal of a forward still waiting for its answer.
  const routed* forwarded(std::uint64_t number) const {
    auto it = forwarded_.find(number);
    return it == forwarded_.end() ? nullptr : &it->second.second;
  }

  // The leader answered forward number with reply at index. The caller's
  // waiter and its reply when it can be answered now (applied reached index);
  // nothing when the forward was routed again since (the answer is dropped)
  // or the reply waits for the apply (take_replies).
  std::optional<std::pair<Waiter, protocol::store_reply>>
  forward_answered(std::uint64_t number, protocol::store_reply reply, std::uint64_t index,
                   std::uint64_t applied) {
    auto it = forwarded_.find(number);
    if (it == forwarded_.end())
      return std::nullopt;
    auto waiter = std::move(it->second.second.waiter);
    forwarded_.erase(it);
    if (applied >= index)
      return std::make_pair(std::move(waiter), std::move(reply));
    replies_after_apply_.emplace(index, std::make_pair(std::move(reply), std::move(waiter)));
    return std::nullopt;
  }

  // Forward number failed. On a timeout the caller's waiter, to answer with
  // it; on any other failure (not the leader any more, unreachable) the
  // proposal is parked to be tried again under the same sequence. Nothing
  // when the forward was routed again since.
  std::optional<Waiter> forward_failed(std::uint64_t number, bool timed_out) {
    auto it = forwarded_.find(number);
    if (it == forwarded_.end())
      return std::nullopt;
    auto p = std::move(it->second.second);
    forwarded_.erase(it);
    if (timed_out)
      return std::move(p.waiter);
    parked_.push_back(std::move(p));
    return std::nullopt;
  }

  // A leader that crashed never answers what was forwarded to it: once
  // another member leads (leader; no_node while none is known) those
  // forwards are parked. So are those sent to gone, whose link went down:
  // their answer cannot come back on it.
  void reroute(core::node_id leader, core::node_id gone = core::no_node) {
    for (auto it = forwarded_.begin(); it != forwarded_.end();) {
      auto target = it->second.first;
      if (target != gone && (target == leader || leader == core::no_node)) {
        ++it;
        continue;
      }
      parked_.push_back(std::move(it->second.second));
      it = forwarded_.erase(it);
    }
  }

  // Answers to forwards whose index is now applied here, by index.
  std::vector<std::pair<protocol::store_reply, Waiter>> take_replies(std::uint64_t applied) {
    std::vector<std::pair<protocol::store_reply, Waiter>> out;
    while (!replies_after_apply_.empty() && replies_after_apply_.begin()->first <= applied) {
      out.push_back(std::move(replies_after_apply_.begin()->second));
      replies_after_apply_.erase(replies_after_apply_.begin());
    }
    return out;
  }

  std::size_t parked_count() const { return parked_.size(); }
  std::size_t pending_count() const { return pending_.size(); }
  std::size_t forwarded_count() const { return forwarded_.size(); }

private:
  std::map<std::uint64_t, pending> pending_; // by log index
  std::deque<routed> parked_;
  std::map<std::uint64_t, std::pair<core::node_id, routed>> forwarded_; // by forward number
  std::uint64_t forwards_ = 0;
  std::multimap<std::uint64_t, std::pair<protocol::store_reply, Waiter>> replies_after_apply_;
};

} // namespace dref::raft::node
