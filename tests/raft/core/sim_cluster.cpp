#include "sim_cluster.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <type_traits>

namespace dref::test::sim {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

std::uint64_t digest_of(std::uint64_t prev, const raft::core::entry& e) {
  auto h = mix(prev, e.index);
  h = mix(h, static_cast<std::uint64_t>(e.type));
  h = mix(h, e.client_id);
  h = mix(h, e.sequence);
  for (char c : e.data)
    h = mix(h, static_cast<unsigned char>(c));
  return h;
}

} // namespace

std::string describe(const raft::core::message& msg) {
  std::string out = std::to_string(msg.from) + "->" + std::to_string(msg.to) + " t" +
                    std::to_string(msg.term) + " ";
  auto num = [](std::uint64_t v) { return std::to_string(v); };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        namespace pr = protocol;
        if constexpr (std::is_same_v<T, pr::raft_vote_request>)
          out += std::string(p.pre_vote ? "prevote" : "vote") + " last=" + num(p.last_log_index) +
                 "/" + num(p.last_log_term) + (p.leader_transfer ? " transfer" : "");
        else if constexpr (std::is_same_v<T, pr::raft_vote_response>)
          out +=
              std::string(p.pre_vote ? "prevote" : "vote") + (p.granted ? " granted" : " denied");
        else if constexpr (std::is_same_v<T, pr::raft_append_entries>) {
          out += "append prev=" + num(p.prev_index) + "/" + num(p.prev_term) +
                 " commit=" + num(p.commit) + " entries=[";
          for (const auto& e : p.entries)
            out += num(e.index) + "/" + num(e.term) + " ";
          out += "]";
        } else if constexpr (std::is_same_v<T, pr::raft_append_response>)
          out += std::string(p.success ? "append ok match=" + num(p.match_index)
                                       : "append reject at=" + num(p.rejected_index) +
                                             " hint=" + num(p.hint_index) + "/" + num(p.hint_term));
        else if constexpr (std::is_same_v<T, pr::raft_heartbeat>)
          out += "heartbeat commit=" + num(p.commit) + " ctx=" + p.read_context;
        else if constexpr (std::is_same_v<T, pr::raft_heartbeat_response>)
          out += "heartbeat ok ctx=" + p.read_context;
        else if constexpr (std::is_same_v<T, pr::raft_install_snapshot>)
          out += "snapshot " + num(p.metadata.index) + "/" + num(p.metadata.term) +
                 " offset=" + num(p.offset) + " len=" + num(p.chunk.size()) +
                 (p.done ? " done" : "");
        else if constexpr (std::is_same_v<T, pr::raft_install_snapshot_response>)
          out += "snapshot ok " + num(p.index) + " next=" + num(p.next_offset) +
                 (p.done ? " done" : "");
        else if constexpr (std::is_same_v<T, pr::raft_timeout_now>)
          out += "timeout_now";
        else if constexpr (std::is_same_v<T, pr::raft_read_index_request>)
          out += "read " + p.context;
        else
          out += "read ok " + p.context + " at " + num(p.index);
      },
      msg.payload);
  return out;
}

cluster::cluster(options opts, std::map<node_id, raft::core::persisted_state> initial_disks)
    : opts_(opts)
    , rng_(opts.seed) {
  for (node_id id = 1; id <= opts_.nodes; ++id)
    initial_.push_back(id);
  for (auto id : initial_) {
    initial_member_[id] = true;
    disks_[id] = {};
    if (auto found = initial_disks.find(id); found != initial_disks.end())
      disks_[id].state = found->second;
    machines_[id] = {};
    add_clock(id);
    nodes_[id] = std::make_unique<raft::core::node>(node_config(id, true), disks_[id].state);
  }
}

void cluster::add_clock(node_id id) {
  auto& clock = clocks_[id];
  if (opts_.max_clock_drift <= 0)
    return;
  const auto drift = std::min<std::uint64_t>(
      clock_unit - 1, static_cast<std::uint64_t>(std::llround(opts_.max_clock_drift * clock_unit)));
  // mt19937_64's output is specified exactly, the distributions' are not.
  clock.rate = clock_unit - drift + rng_() % (2 * drift + 1);
  clock.phase = rng_() % clock_unit;
}

raft::core::config cluster::node_config(node_id id, bool initial_member) const {
  raft::core::config cfg;
  cfg.id = id;
  if (initial_member)
    cfg.voters = initial_;
  cfg.election_ticks = opts_.election_ticks;
  cfg.pre_vote = opts_.pre_vote;
  cfg.check_quorum = opts_.check_quorum;
  cfg.max_inflight = opts_.max_inflight;
  cfg.max_message_bytes = opts_.max_message_bytes;
  cfg.snapshot_chunk_bytes = opts_.snapshot_chunk_bytes;
  cfg.batch_proposals = opts_.batch_proposals;
  cfg.reads = opts_.reads;
  cfg.seed = opts_.seed * 1000003 + id + now_;
  return cfg;
}

bool cluster::alive(node_id id) const {
  auto found = nodes_.find(id);
  return found != nodes_.end() && found->second != nullptr;
}

bool cluster::running(node_id id) const {
  return alive(id) && !clocks_.at(id).paused;
}

bool cluster::paused(node_id id) const {
  return alive(id) && clocks_.at(id).paused;
}

std::vector<node_id> cluster::ids() const {
  std::vector<node_id> out;
  for (const auto& [id, n] : nodes_)
    out.push_back(id);
  return out;
}

std::optional<node_id> cluster::leader() const {
  std::optional<node_id> best;
  std::uint64_t best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (running(id) && n->role() == raft::core::role::leader && n->term() >= best_term) {
      best = id;
      best_term = n->term();
    }
  }
  return best;
}

std::optional<node_id> cluster::wait_for_leader(int max_ticks) {
  for (int i = 0; i < max_ticks && violation_.empty(); ++i) {
    tick();
    if (auto l = leader()) {
      // No member has moved past its term (a removed node may have).
      bool stable = true;
      const auto& members = at(*l).membership();
      for (const auto* group : {&members.voters, &members.learners})
        for (auto id : *group)
          if (alive(id) && at(id).term() > at(*l).term())
            stable = false;
      if (stable)
        return l;
    }
  }
  return std::nullopt;
}

void cluster::campaign(node_id id) {
  auto& n = at(id);
  // Its timer fires within two election timeouts; nobody else ticks, so
  // nobody else times out meanwhile.
  for (int i = 0; i < 2 * opts_.election_ticks && n.role() == raft::core::role::follower; ++i)
    n.tick();
  process_all_ready();
  settle();
}

bool cluster::blocked(node_id from, node_id to) const {
  return blocked_.count({from, to}) != 0;
}

void cluster::send(const raft::core::message& msg) {
  if (on_send && !on_send(msg))
    return;
  if (blocked(msg.from, msg.to))
    return;
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  if (opts_.drop > 0 && chance(rng_) < opts_.drop)
    return;
  int copies = (opts_.duplicate > 0 && chance(rng_) < opts_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    std::uint64_t delay = 1;
    if (opts_.max_delay > 0)
      delay +=
          static_cast<std::uint64_t>(std::uniform_int_distribution<int>(0, opts_.max_delay)(rng_));
    network_.push_back(in_flight_message{now_ + delay, rng_(), msg});
  }
}

bool cluster::deliverable(const raft::core::message& msg) const {
  // Messages to a paused node wait; to a crashed one they are lost.
  return !alive(msg.to) || running(msg.to);
}

void cluster::deliver(const raft::core::message& msg) {
  if (!running(msg.to) || blocked(msg.from, msg.to))
    return;
  auto& n = *nodes_[msg.to];
  if (trace)
    std::cerr << now_ << " " << describe(msg) << "\n";
  const auto role_before = n.role();
  const auto term_before = n.term();
  n.step(msg);
  if (trace && (n.role() != role_before || n.term() != term_before))
    std::cerr << now_ << " node " << msg.to << " is " << static_cast<int>(n.role()) << " at term "
              << n.term() << " (log " << n.log().last_index() << "/" << n.log().last_term()
              << " commit " << n.log().committed() << ")\n";
}

void cluster::inject(const raft::core::message& msg) {
  if (!deliverable(msg)) {
    network_.push_back(in_flight_message{now_, 0, msg});
    return;
  }
  deliver(msg);
  process_all_ready();
  check_leaders();
}

void cluster::apply(node_id id, const raft::core::entry& e) {
  auto& sm = machines_[id];
  if (e.index != sm.applied + 1) {
    fail("node " + std::to_string(id) + " applied index " + std::to_string(e.index) + " after " +
         std::to_string(sm.applied));
    return;
  }
  sm.applied = e.index;
  // The digest covers every entry, including skipped duplicates, so two
  // nodes that agree on the digest agree on the whole log prefix.
  sm.digest = digest_of(sm.digest, e);
  if (e.type == raft::core::entry_type::normal) {
    auto& last = sm.last_sequence[e.client_id];
    if (e.client_id != 0 && e.sequence <= last) {
      ++sm.duplicates_skipped;
    } else {
      last = e.sequence;
      sm.applied_data.push_back(e.data);
    }
  }
  auto [it, fresh] = committed_.try_emplace(
      e.index, committed_entry{e.term, sm.digest, e.data, nodes_[id]->term()});
  if (!fresh && (it->second.term != e.term || it->second.digest != sm.digest))
    fail("state machine safety: node " + std::to_string(id) + " applied a different command at " +
         std::to_string(e.index) + " (term " + std::to_string(e.term) + " vs " +
         std::to_string(it->second.term) + ")");
}

void cluster::process_ready(node_id id) {
  auto& n = *nodes_[id];
  if (!n.has_ready())
    return;
  auto rd = n.ready();
  for (const auto& m : rd.messages_now) {
    check_sent_now(id, m);
    send(m);
  }
  // Checked while the log still holds them (a later round may replace them).
  check_new_entries(id, rd.entries);
  // After a snapshot, the entries behind it wait until it is installed.
  if (!rd.snapshot_to_install)
    for (const auto& e : rd.committed)
      apply(id, e);
  for (auto& r : rd.reads) {
    check_read(id, r);
    reads_[id].push_back(r);
  }
  if (opts_.async_storage)
    unwritten_[id].push_back(std::move(rd));
  else
    complete_write(id, rd);
}

void cluster::complete_some_writes(node_id id) {
  auto& queue = unwritten_[id];
  if (queue.empty())
    return;
  // Half the ticks make nothing durable, so writes often lag several ticks
  // behind (and a crash then loses several rounds).
  auto count = std::uniform_int_distribution<std::size_t>{0, 2 * queue.size()}(rng_);
  complete_writes(id, count > queue.size() ? 0 : count);
}

void cluster::complete_writes(node_id id, std::size_t count) {
  auto& queue = unwritten_[id];
  for (std::size_t i = 0; i < count && !queue.empty() && nodes_[id]; ++i) {
    auto rd = std::move(queue.front());
    queue.pop_front();
    complete_write(id, rd);
  }
}

void cluster::complete_write(node_id id, const raft::core::ready& rd) {
  auto& n = *nodes_[id];
  auto& disk = disks_[id].state;
  if (rd.snapshot_to_install) {
    disk.snapshot = rd.snapshot_to_install->metadata;
    disk.snapshot_data = rd.snapshot_to_install->data;
    check_dropped_entries(id, disk.entries, disk.snapshot.index);
    disk.entries.clear();
    auto& sm = machines_[id];
    if (sm.applied > disk.snapshot.index)
      fail("node " + std::to_string(id) + " was handed a snapshot at " +
           std::to_string(disk.snapshot.index) + " after applying " + std::to_string(sm.applied));
    sm.applied = disk.snapshot.index;
    sm.digest = std::stoull(disk.snapshot_data);
    auto found = committed_.find(sm.applied);
    if (found != committed_.end() && found->second.digest != sm.digest)
      fail("node " + std::to_string(id) + " installed a snapshot that differs at " +
           std::to_string(sm.applied));
  }
  if (rd.hard)
    disk.hard = *rd.hard;
  if (!rd.entries.empty()) {
    auto first = rd.entries.front().index;
    auto keep = first > disk.snapshot.index ? first - disk.snapshot.index - 1 : 0;
    if (disk.entries.size() > keep) {
      check_dropped_entries(
          id, {disk.entries.begin() + static_cast<std::ptrdiff_t>(keep), disk.entries.end()}, 0);
      disk.entries.resize(keep);
    }
    if (disk.entries.size() != keep)
      fail("node " + std::to_string(id) + " handed storage entries from " + std::to_string(first) +
           " leaving a gap after " + std::to_string(disk.snapshot.index + disk.entries.size()));
    for (const auto& e : rd.entries)
      if (e.index > disk.snapshot.index)
        disk.entries.push_back(e);
  }
  if (rd.snapshot_to_install)
    for (const auto& e : rd.committed)
      apply(id, e);
  // Persisted: votes and acknowledgements may go now.
  for (const auto& m : rd.messages_after_persist)
    send(m);
  n.advance(rd);
}

void cluster::process_all_ready() {
  for (auto& [id, n] : nodes_)
    if (running(id))
      process_ready(id);
}

void cluster::tick() {
  ++now_;
  tick_clocks();
  if (opts_.async_storage)
    for (auto& [id, n] : nodes_)
      if (running(id))
        complete_some_writes(id);
  process_all_ready();
  deliver_due();
  process_all_ready();
  check_leaders();
}

void cluster::tick_clocks() {
  for (auto& [id, n] : nodes_) {
    auto& clock = clocks_[id];
    if (!n || clock.paused)
      continue;
    for (clock.phase += clock.rate; clock.phase >= clock_unit; clock.phase -= clock_unit) {
      n->tick();
      ++clock.ticks;
    }
  }
}

void cluster::deliver_due() {
  std::vector<in_flight_message> due;
  std::vector<in_flight_message> later;
  for (auto& m : network_)
    (m.deliver_at <= now_ && deliverable(m.msg) ? due : later).push_back(std::move(m));
  network_ = std::move(later);
  std::sort(due.begin(), due.end(), [](const in_flight_message& a, const in_flight_message& b) {
    return a.deliver_at != b.deliver_at ? a.deliver_at < b.deliver_at : a.order < b.order;
  });
  for (const auto& m : due)
    deliver(m.msg);
}

void cluster::run(int ticks) {
  for (int i = 0; i < ticks && violation_.empty(); ++i)
    tick();
}

void cluster::settle(int max_rounds) {
  for (int round = 0; round < max_rounds && violation_.empty(); ++round) {
    if (opts_.async_storage)
      for (auto& [id, queue] : unwritten_)
        if (running(id))
          complete_writes(id, queue.size());
    std::vector<in_flight_message> batch;
    std::vector<in_flight_message> held; // for paused nodes
    for (auto& m : network_)
      (deliverable(m.msg) ? batch : held).push_back(std::move(m));
    network_ = std::move(held);
    if (batch.empty())
      break;
    std::sort(
        batch.begin(), batch.end(),
        [](const in_flight_message& a, const in_flight_message& b) { return a.order < b.order; });
    for (const auto& m : batch)
      deliver(m.msg);
    process_all_ready();
    check_leaders();
  }
}

result<std::uint64_t> cluster::propose(node_id to, std::string data, std::uint64_t client_id,
                                       std::uint64_t sequence) {
  if (!running(to))
    return error{errc::unavailable, "node " + std::to_string(to) + " is down or paused"};
  return nodes_[to]->propose(client_id, sequence, std::move(data));
}

result<void> cluster::read_index(node_id to, std::string context) {
  if (!running(to))
    return error{errc::unavailable, "node " + std::to_string(to) + " is down or paused"};
  requested_reads_[{to, context}] = requested_read{highest_known_commit(), now_};
  return nodes_[to]->read_index(std::move(context));
}

result<std::uint64_t> cluster::propose(node_id to, std::string data) {
  return propose(to, std::move(data), 1, next_sequence());
}

bool cluster::commit_through_leader(std::string data, int max_ticks) {
  // One client command: retries reuse its sequence, as a real client would.
  const std::uint64_t client = 1;
  const std::uint64_t sequence = next_sequence();
  std::uint64_t index = 0; // 0: not proposed (or lost); entries start at 1
  node_id proposed_to = raft::core::no_node;
  std::uint64_t proposed_term = 0;
  for (int i = 0; i < max_ticks && violation_.empty(); ++i) {
    auto l = leader();
    if (l && (index == 0 || proposed_to != *l || at(*l).term() != proposed_term)) {
      // (Re)propose when leadership moved: the old proposal may be lost.
      if (auto r = propose(*l, data, client, sequence)) {
        index = *r;
        proposed_to = *l;
        proposed_term = at(*l).term();
      }
    }
    tick();
    if (!l || index == 0 || !running(*l))
      continue;
    auto found = committed_.find(index);
    if (found == committed_.end())
      continue;
    if (found->second.data != data) {
      index = 0; // lost in a leader change
      continue;
    }
    // Every live member of the leader's configuration applied it.
    const auto& members = at(*l).membership();
    bool everyone = true;
    for (const auto* group : {&members.voters, &members.learners})
      for (auto id : *group)
        if (running(id) && machines_[id].applied < index)
          everyone = false;
    if (everyone)
      return true;
  }
  return false;
}

void cluster::crash(node_id id, bool mid_ready) {
  if (!alive(id))
    return;
  auto& n = *nodes_[id];
  auto& clock = clocks_[id];
  // A stopped process sends nothing more, and a killed one stays stopped.
  if (mid_ready && !clock.paused && n.has_ready()) {
    auto rd = n.ready();
    for (const auto& m : rd.messages_now)
      send(m);
  }
  if (trace)
    std::cerr << now_ << " crash " << id << (mid_ready ? " mid-ready" : "") << "\n";
  clock.paused = false;
  known_commit_before_crashes_ = std::max(known_commit_before_crashes_, n.log().committed());
  // Everything not yet durable is gone.
  nodes_[id].reset();
  unwritten_[id].clear();
  reads_[id].clear();
}

void cluster::restart(node_id id) {
  if (alive(id))
    return;
  if (trace)
    std::cerr << now_ << " restart " << id << "\n";
  nodes_[id] =
      std::make_unique<raft::core::node>(node_config(id, initial_member_[id]), disks_[id].state);
  auto& sm = machines_[id];
  const auto& disk = disks_[id].state;
  sm = {};
  if (disk.snapshot.index > 0) {
    sm.applied = disk.snapshot.index;
    sm.digest = std::stoull(disk.snapshot_data);
  }
  check_durable_log(id);
}

void cluster::pause(node_id id) {
  if (!running(id))
    return;
  if (trace)
    std::cerr << now_ << " pause " << id << "\n";
  clocks_[id].paused = true;
}

void cluster::resume(node_id id) {
  if (!paused(id))
    return;
  if (trace)
    std::cerr << now_ << " resume " << id << "\n";
  clocks_[id].paused = false;
}

void cluster::set_clock_rate(node_id id, double rate) {
  clocks_.at(id).rate = static_cast<std::uint64_t>(std::llround(rate * clock_unit));
}

void cluster::isolate(node_id id) {
  for (auto other : ids()) {
    if (other == id)
      continue;
    blocked_.insert({id, other});
    blocked_.insert({other, id});
  }
}

void cluster::partition(const std::set<node_id>& side_a) {
  for (auto a : ids())
    for (auto b : ids())
      if ((side_a.count(a) != 0) != (side_a.count(b) != 0))
        blocked_.insert({a, b});
}

void cluster::cut(node_id from, node_id to) {
  blocked_.insert({from, to});
}

void cluster::heal_partitions() {
  blocked_.clear();
}

void cluster::heal() {
  blocked_.clear();
  set_faults(0, 0, 0);
}

void cluster::set_faults(double drop, double duplicate, int max_delay) {
  opts_.drop = drop;
  opts_.duplicate = duplicate;
  opts_.max_delay = max_delay;
}

node_id cluster::add_empty_node() {
  node_id id = nodes_.empty() ? 1 : nodes_.rbegin()->first + 1;
  initial_member_[id] = false;
  disks_[id] = {};
  machines_[id] = {};
  add_clock(id);
  nodes_[id] = std::make_unique<raft::core::node>(node_config(id, false));
  return id;
}

void cluster::compact(node_id id) {
  if (!running(id))
    return;
  auto& n = *nodes_[id];
  auto& sm = machines_[id];
  // The toy state machine can only snapshot where it stands.
  auto index = sm.applied;
  if (index <= n.log().snapshot_index() || index > n.log().stable_index())
    return;
  if (!n.compact(index, std::to_string(sm.digest)))
    return;
  auto& disk = disks_[id].state;
  disk.snapshot = n.latest_snapshot()->metadata;
  disk.snapshot_data = n.latest_snapshot()->data;
  std::erase_if(disk.entries, [&](const raft::core::entry& e) { return e.index <= index; });
}

} // namespace dref::test::sim
