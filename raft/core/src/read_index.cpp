// Linearizable reads (ReadIndex, Raft dissertation §6.4): the read may be
// served once the state machine has applied the commit index the leader had
// when the read arrived, provided the leader was still leader then, which a
// quorum of acknowledgements of a heartbeat round sent after the read arrived
// confirms.
//
// Heartbeat rounds: every heartbeat broadcast is numbered (per term) and
// carries its number as read_context; followers echo it. A voter that
// acknowledged round r also acknowledged, in effect, every earlier round, so
// one number per voter is enough to confirm every read waiting on a round.
#include "dref/raft/core/node.hpp"

#include <algorithm>
#include <charconv>

namespace dref::raft::core {

result<void> node::read_index(std::string context) {
  if (role_ == core::role::leader) {
    handle_read_request(cfg_.id, std::move(context));
    return {};
  }
  if (leader_ == no_node)
    return error{errc::not_leader, "not the leader; no leader known"};
  send(leader_, protocol::raft_read_index_request{std::move(context)}, false);
  return {};
}

void node::respond_read(node_id to, std::string context, std::uint64_t index) {
  if (to == cfg_.id)
    reads_.push_back(read_state{std::move(context), index});
  else
    send(to, protocol::raft_read_index_response{std::move(context), index}, false);
}

void node::handle_read_request(node_id from, std::string context) {
  if (log_.term(log_.committed()) != term_) {
    // A new leader does not know the true commit index until it has
    // committed an entry of its own term (its noop).
    reads_before_first_commit_.emplace_back(from, std::move(context));
    return;
  }
  if (quorum() <= 1 && is_voter(cfg_.id)) {
    respond_read(from, std::move(context), log_.committed());
    return;
  }
  if (cfg_.reads == read_mode::lease && lease_valid()) {
    respond_read(from, std::move(context), log_.committed());
    return;
  }
  // Confirmed by the round broadcast now, which leaves after the read came.
  broadcast_heartbeat();
  pending_reads_.push_back(
      pending_read{from, std::move(context), log_.committed(), heartbeat_round_});
}

void node::handle_round_ack(node_id from, progress& pr, const std::string& context) {
  std::uint64_t round = 0;
  auto [end, ec] = std::from_chars(context.data(), context.data() + context.size(), round);
  if (ec != std::errc{} || end != context.data() + context.size() || round > heartbeat_round_)
    return;
  if (round <= pr.acked_round)
    return;
  pr.acked_round = round;
  if (auto sent = round_sent_at_.find(round); sent != round_sent_at_.end())
    pr.acked_round_sent_at = std::max(pr.acked_round_sent_at, sent->second);
  if (!is_voter(from))
    return;
  std::size_t released = 0;
  while (released < pending_reads_.size() &&
         count_voters([needed = pending_reads_[released].round](const progress& p) {
           return p.acked_round >= needed;
         }) >= quorum())
    ++released;
  for (std::size_t i = 0; i < released; ++i)
    respond_read(pending_reads_[i].requester, std::move(pending_reads_[i].context),
                 pending_reads_[i].index);
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<std::ptrdiff_t>(released));
}

bool node::lease_valid() const {
  // A follower that received a heartbeat sent at leader tick s ignores
  // candidates until election_ticks after it received it, so no other leader
  // can exist before s + election_ticks (with equal tick rates). Serve while a
  // quorum's newest acknowledged round leaves a margin of two ticks.
  if (!cfg_.check_quorum || transfer_to_ != no_node)
    return false; // a transfer target campaigns without waiting
  std::vector<std::uint64_t> sent_at;
  for (auto voter : members_.voters) {
    if (voter == cfg_.id) {
      sent_at.push_back(leader_ticks_);
      continue;
    }
    auto found = progress_.find(voter);
    if (found != progress_.end() && found->second.acked_round > 0)
      sent_at.push_back(found->second.acked_round_sent_at);
  }
  if (sent_at.size() < quorum())
    return false;
  std::sort(sent_at.begin(), sent_at.end(), std::greater<>{});
  const auto oldest_in_quorum = sent_at[quorum() - 1];
  constexpr std::uint64_t margin = 2;
  return leader_ticks_ + margin <
         oldest_in_quorum + static_cast<std::uint64_t>(cfg_.election_ticks);
}

void node::release_reads_waiting_for_commit() {
  if (reads_before_first_commit_.empty() || log_.term(log_.committed()) != term_)
    return;
  auto waiting = std::move(reads_before_first_commit_);
  reads_before_first_commit_.clear();
  for (auto& [from, context] : waiting)
    handle_read_request(from, std::move(context));
}

} // namespace dref::raft::core
