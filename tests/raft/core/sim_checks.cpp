// The safety checker of the simulated cluster (sim_cluster.hpp): election
// safety, leader completeness, log matching, no committed entry lost, no
// durability promise sent before persisting, and no stale read. Each check
// runs where what it checks can change, so the whole run stays incremental.
#include "sim_cluster.hpp"

#include <algorithm>

namespace dref::test::sim {
namespace {

// Messages whose receiver relies on what the sender has on disk: a granted
// vote, an acknowledged append, a snapshot reported complete.
bool is_durability_promise(const raft::core::message& m) {
  if (const auto* v = std::get_if<protocol::raft_vote_response>(&m.payload))
    return v->granted && !v->pre_vote;
  if (const auto* a = std::get_if<protocol::raft_append_response>(&m.payload))
    return a->success;
  if (const auto* s = std::get_if<protocol::raft_install_snapshot_response>(&m.payload))
    return s->done;
  return false;
}

} // namespace

void cluster::check_sent_now(node_id id, const raft::core::message& msg) {
  // The leader's appends may go out while it persists its own copy; a
  // promise about this node's durable state may not.
  if (is_durability_promise(msg))
    fail("node " + std::to_string(id) + " sends before persisting: " + describe(msg));
}

void cluster::check_leaders() {
  for (auto& [id, n] : nodes_) {
    if (!n || n->role() != raft::core::role::leader)
      continue;
    auto [it, fresh] = leader_of_term_.try_emplace(n->term(), id);
    if (!fresh && it->second != id) {
      fail("election safety: nodes " + std::to_string(it->second) + " and " + std::to_string(id) +
           " both lead term " + std::to_string(n->term()));
      return;
    }
    if (checked_leader_term_[id] == n->term())
      continue;
    checked_leader_term_[id] = n->term();
    // Leader completeness: a new leader holds every entry committed in an
    // earlier term. A leader of an older term than the newest can still be
    // elected (a candidate paused with votes on their way wins when it
    // resumes); entries committed after its term need not be in its log.
    const auto& log = n->log();
    for (auto c = committed_.upper_bound(log.snapshot_index()); c != committed_.end(); ++c) {
      if (c->second.known_in_term > n->term())
        continue;
      if (log.term(c->first) != c->second.term) {
        fail("leader completeness: leader " + std::to_string(id) + " of term " +
             std::to_string(n->term()) + " lacks committed entry " + std::to_string(c->first));
        return;
      }
    }
    if (log.snapshot_index() > 0) {
      auto c = committed_.find(log.snapshot_index());
      if (c != committed_.end() && c->second.term != log.snapshot_term())
        fail("leader completeness: snapshot of leader " + std::to_string(id) + " diverges");
    }
  }
}

void cluster::check_new_entries(node_id id, const std::vector<raft::core::entry>& entries) {
  // Log matching, checked where it can change: each new entry against every
  // other log that has the same (index, term).
  const auto& mine = nodes_[id]->log();
  for (const auto& e : entries) {
    for (auto& [other, n] : nodes_) {
      if (!n || other == id)
        continue;
      const auto& theirs = n->log();
      if (e.index <= theirs.snapshot_index() || theirs.term(e.index) != e.term)
        continue;
      if (!(theirs.at(e.index) == e)) {
        fail("log matching: nodes " + std::to_string(id) + " and " + std::to_string(other) +
             " hold different entries at index " + std::to_string(e.index) + " term " +
             std::to_string(e.term));
        return;
      }
      auto a = mine.term(e.index - 1);
      auto b = theirs.term(e.index - 1);
      if (a && b && *a != *b) {
        fail("log matching: nodes " + std::to_string(id) + " and " + std::to_string(other) +
             " agree at " + std::to_string(e.index) + " but not at " + std::to_string(e.index - 1));
        return;
      }
    }
  }
}

void cluster::check_dropped_entries(node_id id, const std::vector<raft::core::entry>& dropped,
                                    std::uint64_t covered_up_to) {
  // No committed entry lost: storage may drop an entry only when it
  // conflicts with the leader, which a committed entry never does (below
  // covered_up_to a snapshot keeps its effect).
  for (const auto& e : dropped) {
    if (e.index <= covered_up_to)
      continue;
    auto c = committed_.find(e.index);
    if (c != committed_.end() && c->second.term == e.term) {
      fail("node " + std::to_string(id) + " dropped committed entry " + std::to_string(e.index) +
           " of term " + std::to_string(e.term) + " from storage");
      return;
    }
  }
}

void cluster::check_durable_log(node_id id) {
  // No committed entry lost: what a node persisted as committed is what the
  // cluster committed.
  const auto& disk = disks_[id].state;
  for (const auto& e : disk.entries) {
    if (e.index > disk.hard.commit)
      break;
    auto c = committed_.find(e.index);
    if (c != committed_.end() && c->second.term != e.term) {
      fail("node " + std::to_string(id) + " persisted entry " + std::to_string(e.index) +
           " of term " + std::to_string(e.term) + " as committed, the cluster committed term " +
           std::to_string(c->second.term));
      return;
    }
  }
}

std::uint64_t cluster::highest_known_commit() const {
  auto highest = known_commit_before_crashes_;
  for (const auto& [id, n] : nodes_)
    if (n)
      highest = std::max(highest, n->log().committed());
  return highest;
}

void cluster::check_read(node_id id, const raft::core::read_state& read) {
  // Linearizable reads: a read answered at index i must see every write
  // committed before it was requested. A node only ever knows an index
  // committed that a quorum holds, so a read below the highest such index
  // known anywhere at the request can miss an acknowledged write. (Reads
  // requested on the node directly, not through read_index(), are not
  // checked.)
  auto found = requested_reads_.find({id, read.context});
  if (found == requested_reads_.end() || read.index >= found->second.known_commit)
    return;
  fail("stale read: node " + std::to_string(id) + " answered read " + read.context + " at index " +
       std::to_string(read.index) + ", but index " + std::to_string(found->second.known_commit) +
       " was committed when it was requested at tick " + std::to_string(found->second.at));
}

void cluster::fail(std::string what) {
  if (violation_.empty()) {
    violation_ = std::move(what);
    violation_tick_ = now_;
  }
}

} // namespace dref::test::sim
