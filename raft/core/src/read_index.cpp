// Linearizable reads (ReadIndex, Raft dissertation §6.4): the read may be
// served once the state machine has applied the commit index the leader had
// when the read arrived, provided the leader was still leader then, which a
// quorum of heartbeat acknowledgements sent after the read arrived confirms.
#include "dref/raft/core/node.hpp"

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
  if (quorum() <= 1 || (cfg_.reads == read_mode::lease && cfg_.check_quorum)) {
    respond_read(from, std::move(context), log_.committed());
    return;
  }
  pending_read read{from, std::move(context), log_.committed(),
                    std::to_string(term_) + "." + std::to_string(++read_sequence_), {}};
  read.acks[cfg_.id] = true;
  auto tag = read.tag;
  pending_reads_.push_back(std::move(read));
  broadcast_heartbeat(tag);
}

void node::confirm_reads(node_id from, const std::string& tag) {
  if (!is_voter(from))
    return;
  std::size_t upto = 0;
  for (std::size_t i = 0; i < pending_reads_.size(); ++i)
    if (pending_reads_[i].tag == tag)
      upto = i + 1;
  if (upto == 0)
    return; // unknown or already released
  // The heartbeat carrying tag left after every earlier read arrived: its
  // acknowledgement confirms those too.
  for (std::size_t i = 0; i < upto; ++i)
    pending_reads_[i].acks[from] = true;
  std::size_t released = 0;
  while (released < pending_reads_.size() && pending_reads_[released].acks.size() >= quorum())
    ++released;
  for (std::size_t i = 0; i < released; ++i)
    respond_read(pending_reads_[i].requester, std::move(pending_reads_[i].context),
                 pending_reads_[i].index);
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<std::ptrdiff_t>(released));
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
