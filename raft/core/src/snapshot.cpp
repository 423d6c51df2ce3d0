// Snapshots: log compaction, and InstallSnapshot in chunks for followers
// whose next entry the leader no longer has.
#include "dref/raft/core/node.hpp"

#include <algorithm>

namespace dref::raft::core {

result<void> node::compact(std::uint64_t index, std::string data) {
  if (index > log_.applied() || index > log_.stable_index())
    return error{
        errc::invalid_argument,
        "cannot compact to " + std::to_string(index) + ": only applied, durable entries (up to " +
            std::to_string(std::min(log_.applied(), log_.stable_index())) + ") may be compacted"};
  if (index <= log_.snapshot_index())
    return {};
  protocol::raft_snapshot_metadata meta{index, *log_.term(index), membership_at(index)};
  log_.compact(index);
  snapshot_members_ = meta.config;
  snapshot_ =
      std::make_shared<const core::snapshot>(core::snapshot{std::move(meta), std::move(data)});
  return {};
}

void node::send_snapshot(node_id to, progress& pr) {
  if (!snapshot_)
    return; // nothing to send: storage lost the snapshot data
  if (pr.state != progress::mode::snapshot || pr.snapshot_index != snapshot_->metadata.index) {
    pr.state = progress::mode::snapshot;
    pr.inflight.clear();
    pr.snapshot_index = snapshot_->metadata.index;
    pr.snapshot_offset = 0;
  }
  const auto& data = snapshot_->data;
  auto offset = std::min<std::uint64_t>(pr.snapshot_offset, data.size());
  auto length = std::min<std::uint64_t>(cfg_.snapshot_chunk_bytes, data.size() - offset);
  protocol::raft_install_snapshot chunk{snapshot_->metadata, offset, data.substr(offset, length),
                                        offset + length == data.size()};
  send(to, std::move(chunk), false);
}

void node::handle_install_snapshot(const message& msg,
                                   const protocol::raft_install_snapshot& chunk) {
  leader_ = msg.from;
  election_elapsed_ = 0;
  const auto& meta = chunk.metadata;
  protocol::raft_install_snapshot_response resp{meta.index, 0, false};
  if (meta.index <= log_.committed() || log_.matches(meta.index, meta.term)) {
    // We already have everything it covers (committed entries match the
    // leader; so does an entry with the snapshot's index and term, and the
    // log before it). Keep our log: entries after it may be acknowledged.
    // The leader will count us as matching up to meta.index and tell us to
    // commit that far: entries received in this same round may not be on
    // disk yet (and a truncation they caused not either), so the answer
    // waits for storage like an append acknowledgement.
    log_.commit_to(meta.index);
    resp.done = true;
    send(msg.from, resp, true);
    return;
  }
  // A first chunk starts a transfer, unless it belongs to an older
  // snapshot than the one arriving from this leader (a delayed duplicate
  // from before it compacted again) or repeats the start of that one.
  const bool older = incoming_snapshot_ && meta.index < incoming_snapshot_->metadata.index;
  const bool same = incoming_snapshot_ && incoming_snapshot_->metadata == meta;
  if (chunk.offset == 0 && !older && !same)
    incoming_snapshot_ = core::snapshot{meta, {}};
  if (incoming_snapshot_ && incoming_snapshot_->metadata == meta &&
      chunk.offset == incoming_snapshot_->data.size()) {
    incoming_snapshot_->data += chunk.chunk;
    if (chunk.done) {
      log_.restore(meta.index, meta.term);
      snapshot_members_ = meta.config;
      recompute_membership();
      snapshot_ = std::make_shared<const core::snapshot>(std::move(*incoming_snapshot_));
      snapshot_to_install_ = *snapshot_;
      incoming_snapshot_.reset();
      resp.done = true;
      resp.next_offset = snapshot_->data.size();
      send(msg.from, resp, true); // only once the snapshot is durable
      return;
    }
  }
  // Where to go on with this snapshot; 0 when we hold another one's bytes
  // (reporting that one's length made the leader resend a chunk that could
  // never fit, forever).
  resp.next_offset = incoming_snapshot_ && incoming_snapshot_->metadata == meta
                         ? incoming_snapshot_->data.size()
                         : 0;
  send(msg.from, resp, false);
}

void node::handle_snapshot_response(const message& msg,
                                    const protocol::raft_install_snapshot_response& resp) {
  auto found = progress_.find(msg.from);
  if (found == progress_.end())
    return;
  auto& pr = found->second;
  pr.recent_active = true;
  if (pr.state != progress::mode::snapshot || resp.index != pr.snapshot_index)
    return;
  if (resp.done) {
    pr.match = std::max(pr.match, resp.index);
    pr.become_probe();
    if (maybe_commit()) {
      if (role_ != core::role::leader)
        return;
      broadcast_append(true);
    }
    send_append(msg.from, pr, true);
    return;
  }
  // Send on only when the follower moved forward: answering every reply,
  // duplicates included, with a chunk (on top of the resend per heartbeat)
  // multiplied the chunks in flight without bound. A follower that went
  // back (restarted, or started over) is picked up by the heartbeat resend.
  const bool progressed = resp.next_offset > pr.snapshot_offset;
  pr.snapshot_offset = resp.next_offset;
  if (progressed)
    send_snapshot(msg.from, pr);
}

} // namespace dref::raft::core
