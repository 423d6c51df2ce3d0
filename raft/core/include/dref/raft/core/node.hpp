#pragma once
// core::node: one member's Raft state machine. Pure: no I/O, no clock, no
// threads. Time is tick(); randomness comes from a generator seeded from
// config::seed. The caller (an actor driver or the test simulation) feeds it
// ticks, messages and proposals, then drains ready() and acknowledges with
// advance().
//
// Persistence contract, for every ready r (what must be durable before what
// may be sent; the one statement of it, raft/core/README.md points here):
//  - r.messages_now may go out at once, concurrently with persisting: they
//    are the leader's appends and heartbeats, and answers that promise
//    nothing. The leader counts itself towards a commit quorum only for
//    entries storage has acknowledged (through advance()), so sending its
//    entries early is safe.
//  - r.snapshot_to_install, then r.hard (term, vote, commit) and r.entries
//    (which replace everything from r.entries.front().index on) must be
//    durable before any of r.messages_after_persist is sent: those are votes,
//    append acknowledgements and completed-snapshot answers, promises that
//    the sender has written down what it acknowledges (a vote forgotten in a
//    crash could elect two leaders in one term; an ack forgotten could lose
//    a committed entry).
//  - r.committed must be applied at once, before the next call into the
//    node (a quorum has them durably; compact() counts them as applied);
//    in a round with r.snapshot_to_install, once that is installed;
//    r.reads may be served once the state machine has applied their index.
//  - Storage may be asynchronous: ready() may be called again before the
//    earlier rounds are durable, as long as storage makes rounds durable in
//    the order they were handed out and advance(r) is called for each round,
//    in that order, once r is durable. A round that holds a snapshot to
//    install is the exception: has_ready() stays false until it is advanced.
//    A driver with synchronous storage simply calls advance(r) before the
//    next ready().
// compact(index, data) only up to an index both applied and durable, with
// data durable before the entries it replaces are dropped from storage; a
// driver with asynchronous storage writes the compaction after the rounds
// already handed out, with the entries up to log().in_progress_index().

#include "dref/protocol/result.hpp"
#include "dref/raft/core/log.hpp"
#include "dref/raft/core/progress.hpp"
#include "dref/raft/core/types.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace dref::raft::core {

// How read_index() confirms that this node is still the leader.
enum class read_mode : std::uint8_t {
  // A heartbeat round acknowledged by a quorum after the read arrived.
  safe,
  // No round trip while the lease holds: a quorum acknowledged a heartbeat
  // round sent less than election_ticks - 2 ticks ago, and voters ignore
  // candidates for election_ticks after hearing the leader (a node that just
  // started, for its first election_ticks). Needs check_quorum; falls back to
  // a round trip otherwise and during a leadership transfer.
  //
  // The bound (E = election_ticks, the same on every member; r = a node's
  // ticks per second). The leader serves until E - 2 of its ticks after it
  // sent the round, so for less than (E - 2) / r_leader seconds. A voter that
  // acknowledged the round got it after it was sent and grants no vote until
  // E of its own ticks later, the first of which may come at once: for more
  // than (E - 1) / r_voter seconds. No other leader can exist while the old
  // one serves if (E - 2) / r_leader <= (E - 1) / r_voter, so lease reads are
  // linearizable only if
  //  (a) no member can be paused (SIGSTOP, a GC or VM pause, a starved
  //      timer): a pause stops the leader's ticks, not the others', and no
  //      rate bound survives it; and
  //  (b) no node's tick rate exceeds another's by more than a factor of
  //      (E - 1) / (E - 2): 9/8 at the default E = 10, i.e. rates within
  //      1 +- 1/17 of nominal. Message delays only help.
  // leader_unreachable() also voids it: the voter grants votes at once, so
  // a leader that lost only its link to that voter may still be serving.
  // Neither holds for a process on a loaded machine, so dref keeps safe:
  // the raft backend (actors/backends/raft) never sets reads, and nothing
  // configures lease. tests/raft/core's clock scenarios show a paused or
  // slow lease leader serving a stale read, and none within the bound.
  lease,
};

struct config {
  node_id id = no_node;
  // Initial membership, used when the node starts without persisted state:
  // it is written into the log as term-0 config entries (identical on every
  // initial member). A node joining later starts with both empty.
  std::vector<node_id> voters;
  std::vector<node_id> learners;
  int election_ticks = 10; // randomized in [election_ticks, 2*election_ticks)
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  read_mode reads = read_mode::safe;
  std::size_t max_inflight = 64; // append messages in flight per follower
  // Encoded size of an append message (one entry goes alone if larger).
  std::size_t max_message_bytes = 1 << 20;
  std::size_t snapshot_chunk_bytes = 64 * 1024;
  // false: send one append per proposal (for comparison in the bench);
  // true: proposals accumulate until ready() and go out in one message.
  bool batch_proposals = true;
  std::uint64_t seed = 1;
};

// What storage returns after a restart.
struct persisted_state {
  hard_state hard;
  protocol::raft_snapshot_metadata snapshot;
  std::vector<entry> entries; // after snapshot.index, contiguous
  std::string snapshot_data;  // so that a restarted leader can still send it
};

struct snapshot {
  protocol::raft_snapshot_metadata metadata;
  std::string data;
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

// A linearizable read may be served once the state machine applied index.
struct read_state {
  std::string context;
  std::uint64_t index = 0;
};

struct ready {
  std::optional<hard_state> hard;
  // Append durably; entries.front().index may be <= the last durable index,
  // in which case storage drops everything from there first.
  std::vector<entry> entries;
  std::optional<core::snapshot> snapshot_to_install;
  std::vector<entry> committed;
  std::vector<message> messages_now;
  std::vector<message> messages_after_persist;
  std::vector<read_state> reads;
};

// Successful append acknowledgements are cumulative (progress::acknowledge):
// of those a node sends one peer in one term, the one with the highest match
// index says all the others say. Removes the others from messages, keeping
// every other message and the order. ready() does it for each round; a
// driver whose storage completes several rounds at once may do it for all
// of their messages_after_persist together, since all are durable then.
void drop_superseded_acknowledgements(std::vector<message>& messages);

class node {
public:
  explicit node(config cfg, persisted_state restored = {});

  // --- inputs
  void tick();
  void step(const message& msg);
  // Appends a command when leader. Otherwise errc::not_leader, with the
  // leader's id in the message when known (see leader()).
  result<std::uint64_t> propose(std::uint64_t client_id, std::uint64_t sequence, std::string data);
  // A linearizable read: a read_state with context appears in a later ready().
  result<void> read_index(std::string context);
  result<void> transfer_leadership(node_id to);
  // The transport lost its link to `who` (a crashed process closes its
  // connections at once). A follower of it then waits only the random part
  // of an election timeout before it campaigns, and grants (pre-)votes at
  // once. Only timing changes: members that still hear a live leader keep
  // refusing votes, so pre-vote keeps it in place.
  void leader_unreachable(node_id who);
  void cancel_transfer();
  result<std::uint64_t> propose_conf_change(protocol::raft_conf_change change);
  // The application snapshotted its state machine at index (<= applied):
  // drop the log up to there and keep data to send to lagging followers.
  result<void> compact(std::uint64_t index, std::string data);

  // --- outputs
  bool has_ready() const;
  core::ready ready();
  void advance(const core::ready& done);

  // --- observation
  node_id id() const noexcept { return cfg_.id; }
  core::role role() const noexcept { return role_; }
  std::uint64_t term() const noexcept { return term_; }
  node_id leader() const noexcept { return leader_; }
  node_id voted_for() const noexcept { return voted_for_; }
  const raft_log& log() const noexcept { return log_; }
  const protocol::raft_config_state& membership() const noexcept { return members_; }
  const std::map<node_id, progress>& peers() const noexcept { return progress_; }
  node_id transfer_target() const noexcept { return transfer_to_; }
  // The newest snapshot this node took or installed (what storage holds).
  // Shared, not copied: a snapshot is the whole state machine, and the
  // storage writes the same bytes to its file.
  const std::shared_ptr<const core::snapshot>& latest_snapshot() const noexcept {
    return snapshot_;
  }

private:
  // role changes (node.cpp)
  void append_bootstrap_configuration();
  void become_follower(std::uint64_t term, node_id leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(std::uint64_t term);
  void send(node_id to, protocol::raft_payload payload, bool after_persist,
            std::uint64_t term_override = 0);
  void respond_read(node_id to, std::string context, std::uint64_t index);
  bool is_voter(node_id id) const;
  std::size_t quorum() const { return members_.voters.size() / 2 + 1; }
  // Voters for which pred(progress) holds, this node counting as one when it
  // is a voter (a leader agrees with itself).
  template <class Pred>
  std::size_t count_voters(Pred pred) const {
    std::size_t count = 0;
    for (auto voter : members_.voters) {
      auto found = progress_.find(voter);
      if (voter == cfg_.id || (found != progress_.end() && pred(found->second)))
        ++count;
    }
    return count;
  }

  // election (election.cpp)
  void tick_election();
  void tick_heartbeat();
  void campaign(bool pre_vote, bool transfer);
  void handle_vote_request(const message& msg, const protocol::raft_vote_request& req);
  void handle_vote_response(const message& msg, const protocol::raft_vote_response& resp);
  void handle_timeout_now(const message& msg);
  bool check_quorum_active();
  void randomize_timeout();

  // replication (replication.cpp)
  void broadcast_heartbeat();
  bool send_append(node_id to, progress& pr, bool allow_empty);
  void broadcast_append(bool allow_empty);
  void tell_commit(bool at_heartbeat);
  void handle_append(const message& msg, const protocol::raft_append_entries& req);
  void handle_append_response(const message& msg, const protocol::raft_append_response& resp);
  void handle_heartbeat(const message& msg, const protocol::raft_heartbeat& hb);
  void handle_heartbeat_response(const message& msg, const protocol::raft_heartbeat_response& r);
  bool maybe_commit();
  void append_own(std::vector<entry> entries);

  // reads (read_index.cpp)
  void handle_read_request(node_id from, std::string context);
  void handle_round_ack(node_id from, progress& pr, const std::string& context);
  bool lease_valid() const;
  void release_reads_waiting_for_commit();

  // snapshots (snapshot.cpp)
  void send_snapshot(node_id to, progress& pr);
  void handle_install_snapshot(const message& msg, const protocol::raft_install_snapshot& chunk);
  void handle_snapshot_response(const message& msg,
                                const protocol::raft_install_snapshot_response& resp);

  // membership (membership.cpp)
  void recompute_membership();
  void sync_progress_with_membership();
  bool is_member(node_id id) const;
  protocol::raft_config_state membership_at(std::uint64_t index) const;
  bool step_down_if_removed();

  config cfg_;
  std::mt19937_64 rng_;
  raft_log log_;
  protocol::raft_config_state members_;
  protocol::raft_config_state snapshot_members_;
  std::uint64_t pending_conf_index_ = 0; // leader: last config entry it appended
  std::uint64_t last_config_index_ = 0;  // newest config entry in the log
  core::role role_ = core::role::follower;
  std::uint64_t term_ = 0;
  node_id voted_for_ = no_node;
  node_id leader_ = no_node;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  std::map<node_id, bool> votes_;
  std::map<node_id, progress> progress_;
  bool append_pending_ = false;
  bool commit_news_ = false; // the commit moved or a follower acked: tell_commit() in ready()

  node_id transfer_to_ = no_node;
  int transfer_elapsed_ = 0;

  struct pending_read {
    node_id requester = no_node;
    std::string context;
    std::uint64_t index = 0;
    std::uint64_t round = 0; // heartbeat round whose quorum confirms it
  };
  std::vector<pending_read> pending_reads_;
  std::vector<std::pair<node_id, std::string>> reads_before_first_commit_;
  std::uint64_t heartbeat_round_ = 0;                    // rounds broadcast in this term
  std::uint64_t leader_ticks_ = 0;                       // ticks since becoming leader
  std::map<std::uint64_t, std::uint64_t> round_sent_at_; // round -> leader_ticks_
  // Ticks since this node started, counted up to election_ticks: in lease
  // mode a node that just (re)started may have forgotten that it heard a
  // leader, so it treats itself as hearing one until a timeout has passed.
  int ticks_since_start_ = 0;

  std::shared_ptr<const core::snapshot> snapshot_;  // latest local snapshot, for sending
  std::optional<core::snapshot> incoming_snapshot_; // being received in chunks
  std::optional<core::snapshot> snapshot_to_install_;

  hard_state last_hard_; // the last one handed out in a ready
  bool snapshot_in_flight_ = false;
  std::vector<message> now_;
  std::vector<message> after_persist_;
  std::vector<read_state> reads_;
};

} // namespace dref::raft::core
