// Log replication: appends with the consistency check, fast backtracking,
// pipelining per follower, heartbeats, and the commit rule.
#include "dref/raft/core/node.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace dref::raft::core {

void node::append_own(std::vector<entry> entries) {
  bool config_changed = false;
  for (auto& e : entries) {
    e.term = term_;
    e.index = log_.last_index() + 1;
    config_changed |= e.type == entry_type::config;
    log_.append({std::move(e)});
  }
  if (config_changed)
    recompute_membership();
  if (cfg_.batch_proposals)
    append_pending_ = true; // flushed in ready(): many proposals, one message
  else
    broadcast_append(false);
}

void node::broadcast_append(bool allow_empty) {
  if (role_ != core::role::leader)
    return;
  for (auto& [id, pr] : progress_)
    if (id != cfg_.id)
      send_append(id, pr, allow_empty);
}

// Who has not heard of the commit yet hears of it in ready(), after the
// round's appends (which carry it) went out, so that one message tells it. A
// follower with appends in flight that answered lately is left out: under
// load the next append tells it, else the round after its acknowledgement.
// One that has not answered since the last check-quorum round (its answers
// lost, as in a one-way cut) is told at once, and again with each heartbeat
// (at_heartbeat), since a heartbeat alone tells a follower no more than it
// acknowledged. A follower answers a forwarded proposal only once it applied
// it, so none of them waits for the next heartbeat for nothing.
void node::tell_commit(bool at_heartbeat) {
  if (role_ != core::role::leader)
    return;
  for (auto& [id, pr] : progress_) {
    if (id == cfg_.id || pr.commit_told >= log_.committed())
      continue;
    const bool in_flight = pr.state == progress::mode::replicate && !pr.inflight.empty();
    const bool tell =
        at_heartbeat ? in_flight && !pr.recent_active : !in_flight || !pr.recent_active;
    if (tell)
      send_append(id, pr, true);
  }
}

bool node::send_append(node_id to, progress& pr, bool allow_empty) {
  if (pr.paused(cfg_.max_inflight))
    return false;
  auto prev_term = log_.term(pr.next - 1);
  if (!prev_term) {
    send_snapshot(to, pr);
    return false;
  }
  auto entries = log_.slice(pr.next, log_.last_index() + 1, cfg_.max_message_bytes);
  if (entries.empty() && !allow_empty && pr.state == progress::mode::replicate)
    return false;
  protocol::raft_append_entries req{pr.next - 1, *prev_term, log_.committed(), {}};
  const bool sent_entries = !entries.empty();
  if (sent_entries) {
    auto last = entries.back().index;
    if (pr.state == progress::mode::replicate) {
      // Optimistic: assume it arrives, keep the pipeline going.
      pr.next = last + 1;
      pr.inflight.push_back(last);
    }
  }
  if (pr.state == progress::mode::probe)
    pr.probe_sent = true;
  const auto last_carried = sent_entries ? entries.back().index : req.prev_index;
  pr.commit_told = std::max(pr.commit_told, std::min(req.commit, last_carried));
  req.entries = std::move(entries);
  send(to, std::move(req), false);
  return sent_entries;
}

void node::handle_append(const message& msg, const protocol::raft_append_entries& req) {
  leader_ = msg.from;
  election_elapsed_ = 0;
  // An append reaching back below our commit index (delayed, duplicated, or
  // sent before the leader heard of our progress): everything up to the
  // commit index already matches the leader, so check and append from there
  // instead, keeping the entries it carries beyond it.
  auto prev_index = req.prev_index;
  auto prev_term = req.prev_term;
  std::span<const entry> entries = req.entries;
  protocol::raft_append_response resp;
  if (prev_index < log_.committed()) {
    const auto skip = log_.committed() - prev_index;
    if (skip >= entries.size()) {
      // Nothing new in it; our committed prefix is the leader's.
      resp.success = true;
      resp.match_index = log_.committed();
      send(msg.from, resp, true);
      return;
    }
    entries = entries.subspan(static_cast<std::size_t>(skip));
    prev_index = log_.committed();
    prev_term = *log_.term(prev_index); // the commit index is never compacted past
  }
  if (log_.matches(prev_index, prev_term)) {
    const bool overlaps = log_.last_index() > prev_index;
    const bool has_config = std::any_of(entries.begin(), entries.end(), [](const entry& e) {
      return e.type == entry_type::config;
    });
    auto last_new = log_.append_after(prev_index, entries);
    if (has_config || (overlaps && !entries.empty()))
      recompute_membership();
    // Only entries known to match the leader may be committed here.
    log_.commit_to(std::min(req.commit, last_new));
    resp.success = true;
    resp.match_index = last_new;
  } else {
    resp.rejected_index = prev_index;
    resp.hint_index = log_.find_conflict_hint(std::min(prev_index, log_.last_index()), prev_term);
    resp.hint_term = log_.term(resp.hint_index).value_or(0);
  }
  // The ack promises durability: it waits for storage.
  send(msg.from, resp, true);
}

void node::handle_append_response(const message& msg, const protocol::raft_append_response& resp) {
  auto found = progress_.find(msg.from);
  if (found == progress_.end())
    return;
  auto& pr = found->second;
  pr.recent_active = true;
  if (resp.success) {
    const bool advanced = pr.acknowledge(resp.match_index);
    if (pr.state == progress::mode::probe && (advanced || pr.match == resp.match_index))
      pr.become_replicate();
    if (pr.state == progress::mode::snapshot && pr.match >= pr.snapshot_index)
      pr.become_probe();
    if (advanced && maybe_commit()) {
      if (role_ != core::role::leader)
        return; // committed our own removal and stepped down
      commit_news_ = true;
    }
    while (send_append(msg.from, pr, false)) {
    }
    if (pr.commit_told < log_.committed())
      commit_news_ = true;
    if (msg.from == transfer_to_ && pr.match == log_.last_index())
      send(msg.from, protocol::raft_timeout_now{}, false);
    return;
  }
  // A rejection. Ignore those answering appends we already moved past.
  if (pr.state == progress::mode::snapshot)
    return;
  if (pr.state == progress::mode::replicate && resp.rejected_index <= pr.match)
    return;
  if (pr.state == progress::mode::probe && resp.rejected_index != pr.next - 1)
    return;
  std::uint64_t probe_from = resp.hint_index;
  if (resp.hint_term > 0)
    probe_from = log_.find_conflict_hint(resp.hint_index, resp.hint_term);
  pr.state = progress::mode::probe;
  pr.inflight.clear();
  pr.probe_sent = false;
  pr.next = std::max(std::min(resp.rejected_index, probe_from + 1), pr.match + 1);
  send_append(msg.from, pr, true);
}

void node::broadcast_heartbeat() {
  ++heartbeat_round_;
  round_sent_at_[heartbeat_round_] = leader_ticks_;
  // Rounds older than an election timeout can no longer extend a lease.
  while (!round_sent_at_.empty() &&
         round_sent_at_.begin()->second + static_cast<std::uint64_t>(cfg_.election_ticks) <
             leader_ticks_)
    round_sent_at_.erase(round_sent_at_.begin());
  const auto round = std::to_string(heartbeat_round_);
  for (auto& [id, pr] : progress_) {
    if (id == cfg_.id)
      continue;
    // Never tell a follower to commit beyond what it is known to match:
    // its log may still diverge after that point.
    const auto commit = std::min(pr.match, log_.committed());
    pr.commit_told = std::max(pr.commit_told, commit);
    send(id, protocol::raft_heartbeat{commit, round}, false);
  }
  tell_commit(true);
}

void node::handle_heartbeat(const message& msg, const protocol::raft_heartbeat& hb) {
  leader_ = msg.from;
  election_elapsed_ = 0;
  log_.commit_to(hb.commit);
  send(msg.from, protocol::raft_heartbeat_response{hb.read_context}, false);
}

void node::handle_heartbeat_response(const message& msg,
                                     const protocol::raft_heartbeat_response& r) {
  auto found = progress_.find(msg.from);
  if (found == progress_.end())
    return;
  auto& pr = found->second;
  pr.recent_active = true;
  pr.probe_sent = false;
  if (pr.state == progress::mode::snapshot) {
    send_snapshot(msg.from, pr); // resend the current chunk: it may be lost
  } else if (pr.match < log_.last_index()) {
    if (pr.state == progress::mode::replicate && ++pr.stalled_heartbeats >= 3)
      pr.become_probe();
    send_append(msg.from, pr, false);
  }
  handle_round_ack(msg.from, pr, r.read_context);
}

bool node::maybe_commit() {
  std::vector<std::uint64_t> matches;
  for (auto voter : members_.voters) {
    if (voter == cfg_.id) {
      matches.push_back(log_.stable_index());
      continue;
    }
    auto found = progress_.find(voter);
    matches.push_back(found == progress_.end() ? 0 : found->second.match);
  }
  if (matches.empty())
    return false;
  std::sort(matches.begin(), matches.end(), std::greater<>{});
  auto candidate = matches[quorum() - 1];
  // Raft §5.4.2: count replicas only for an entry of the current term;
  // older entries commit with it, never on their own.
  if (candidate <= log_.committed() || log_.term(candidate) != term_)
    return false;
  log_.commit_to(candidate);
  release_reads_waiting_for_commit();
  step_down_if_removed();
  return true;
}

namespace {
const protocol::raft_append_response* success(const message& m) {
  const auto* resp = std::get_if<protocol::raft_append_response>(&m.payload);
  return resp != nullptr && resp->success ? resp : nullptr;
}
} // namespace

void drop_superseded_acknowledgements(std::vector<message>& messages) {
  if (std::count_if(messages.begin(), messages.end(),
                    [](const message& m) { return success(m) != nullptr; }) < 2)
    return;
  // The kept one of each (peer, term): the last with the highest match.
  std::map<std::pair<node_id, std::uint64_t>, std::size_t> kept;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto* resp = success(messages[i]);
    if (resp == nullptr)
      continue;
    auto [at, added] = kept.try_emplace({messages[i].to, messages[i].term}, i);
    if (!added && resp->match_index >= success(messages[at->second])->match_index)
      at->second = i;
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (success(messages[i]) != nullptr && kept.at({messages[i].to, messages[i].term}) != i)
      continue;
    if (out != i)
      messages[out] = std::move(messages[i]);
    ++out;
  }
  messages.resize(out);
}

} // namespace dref::raft::core
