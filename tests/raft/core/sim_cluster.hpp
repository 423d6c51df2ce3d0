#pragma once
// A deterministic simulated cluster of raft::core nodes for tests: a seeded
// network that drops, delays, duplicates and reorders messages and can be
// partitioned (symmetrically or one way); per-node storage that a crash
// reduces to what was persisted; per-node clocks that run at different rates
// and members that can be paused; a toy state machine (a hash chain of
// applied commands that skips duplicate (client, sequence) pairs); and a
// checker of Raft's safety properties, linearizable reads included, that runs
// after every step, incrementally.
//
// Determinism: every random choice comes from the cluster's generator seeded
// from options::seed, containers are ordered, and nothing reads the clock, so
// one seed always replays the same run.

#include "dref/raft/core/node.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace dref::test::sim {

using raft::core::node_id;

struct options {
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  double drop = 0;      // probability a message is lost
  double duplicate = 0; // probability a message is delivered twice
  int max_delay = 0;    // extra ticks a message may take (reorders)
  // Each node's clock runs at a rate drawn from the seed in
  // [1 - max_clock_drift, 1 + max_clock_drift] node ticks per cluster tick
  // (resolution 1e-6), starting at a random phase. 0: every node ticks once
  // per cluster tick, in step.
  double max_clock_drift = 0;
  bool pre_vote = true;
  bool check_quorum = true;
  raft::core::read_mode reads = raft::core::read_mode::safe;
  int election_ticks = 10;
  std::size_t max_inflight = 8;
  std::size_t max_message_bytes = 4096;
  std::size_t snapshot_chunk_bytes = 16;
  bool batch_proposals = true;
  // Storage writes complete later, in order (a node's ready rounds wait in a
  // queue until a tick makes a random number of them durable), while the
  // node goes on handing out rounds; a crash loses the writes still queued.
  // false: every round is durable before the next ready().
  bool async_storage = false;
};

// One line describing a message, for traces and failure reports.
std::string describe(const raft::core::message& msg);

struct storage {
  raft::core::persisted_state state;
};

// The toy state machine. Its snapshot is its digest, so a node that installs
// a snapshot continues the same hash chain as one that applied every entry.
struct state_machine {
  std::uint64_t applied = 0;
  std::uint64_t digest = 0;
  std::vector<std::string> applied_data; // commands applied since (re)start, in order
  std::size_t duplicates_skipped = 0;    // since (re)start
  // Deduplication: the newest sequence applied per client. Carried in the
  // digest implicitly (a skipped duplicate does not change it), so a
  // snapshot would have to carry it too; the toy keeps it out of snapshots
  // and the tests that check dedup do not compact.
  std::map<std::uint64_t, std::uint64_t> last_sequence;
};

class cluster {
public:
  explicit cluster(options opts, std::map<node_id, raft::core::persisted_state> initial_disks = {});

  // One step: every running node's clock advances by its rate and the node
  // ticks once per whole tick its clock crossed, due messages to running
  // nodes are delivered, every running node persists/sends/applies its
  // ready(), then the safety checks run.
  void tick();
  void run(int ticks);
  // Delivers every message in flight (ignoring delays) and processes readies,
  // without ticking, until the network is empty or max_rounds pass.
  void settle(int max_rounds = 50);

  raft::core::node& at(node_id id) { return *nodes_.at(id); }
  // Not crashed (a paused node is alive).
  bool alive(node_id id) const;
  // Alive and not paused: it ticks, receives and answers.
  bool running(node_id id) const;
  std::vector<node_id> ids() const;
  // The running leader with the highest term, if any.
  std::optional<node_id> leader() const;
  // Ticks until some node leads a term no live node has moved past.
  std::optional<node_id> wait_for_leader(int max_ticks);
  // Makes id campaign now (as if its election timer fired) and delivers
  // messages until the election is over. Other nodes are not ticked.
  void campaign(node_id id);

  // Proposes through node to; the client id and sequence identify the
  // command for deduplication.
  result<std::uint64_t> propose(node_id to, std::string data, std::uint64_t client_id,
                                std::uint64_t sequence);
  result<std::uint64_t> propose(node_id to, std::string data);
  // Proposes through the current leader (retrying with the same client id and
  // sequence after a leader change) and ticks until every running member of
  // the leader's configuration applied it; false when that does not happen
  // within max_ticks.
  bool commit_through_leader(std::string data, int max_ticks);
  // A client's linearizable read through node to (errc::unavailable when it
  // is down or paused). The checker remembers the highest index any node
  // knew committed at this moment; the read_state that answers it, in a
  // later ready() of that node, must be at least that (no stale read).
  result<void> read_index(node_id to, std::string context);

  // Stops id. With mid_ready, the node first hands out its pending ready and
  // the crash hits after the leader's concurrent sends went out but before
  // storage wrote anything of it.
  void crash(node_id id, bool mid_ready = false);
  void restart(node_id id);
  // SIGSTOP / a long GC pause: a paused node keeps its volatile state but
  // gets no ticks (its clock stands still), processes no messages and hands
  // out no ready(); messages to it wait in the network until resume(). A
  // crash ends a pause.
  void pause(node_id id);
  void resume(node_id id);
  bool paused(node_id id) const;
  // Sets id's clock to rate node ticks per cluster tick (resolution 1e-6).
  void set_clock_rate(node_id id, double rate);
  // Ticks id's clock has given it so far (across restarts).
  std::uint64_t ticks_of(node_id id) const { return clocks_.at(id).ticks; }
  void isolate(node_id id);
  void partition(const std::set<node_id>& side_a);
  void cut(node_id from, node_id to); // one-way
  void heal_partitions();             // symmetric and one-way alike
  void heal();                        // also clears drop/duplicate/delay
  void set_faults(double drop, double duplicate, int max_delay);
  // Adds a fresh node that knows no membership yet (it learns from the log).
  node_id add_empty_node();
  // Snapshots id's state machine at its applied index and compacts its log.
  void compact(node_id id);

  // Delivers msg to its recipient at once (bypassing the network) and
  // processes the readies that follow: for scenarios that forge messages.
  void inject(const raft::core::message& msg);
  // Prints every delivery, crash and restart to stderr (for replaying a seed).
  bool trace = false;
  // Called with every message a node sends; returning false drops it.
  std::function<bool(const raft::core::message&)> on_send;

  const state_machine& machine(node_id id) const { return machines_.at(id); }
  const storage& disk(node_id id) const { return disks_.at(id); }
  std::uint64_t now() const { return now_; }
  // The highest index any node applied.
  std::uint64_t highest_committed() const {
    return committed_.empty() ? 0 : committed_.rbegin()->first;
  }
  // The highest index any node, now or before a crash, knew committed.
  std::uint64_t highest_known_commit() const;
  const std::vector<raft::core::read_state>& reads(node_id id) { return reads_[id]; }
  std::size_t in_flight() const { return network_.size(); }

  // The first safety violation found, empty while there is none.
  const std::string& violation() const { return violation_; }
  std::uint64_t violation_tick() const { return violation_tick_; }
  // Fails the run from outside (the tests' own checks), keeping the first.
  void fail(std::string what);

  std::mt19937_64& rng() { return rng_; }
  std::uint64_t next_sequence() { return ++sequence_; }

private:
  raft::core::config node_config(node_id id, bool initial_member) const;
  void send(const raft::core::message& msg);
  void deliver(const raft::core::message& msg);
  void process_ready(node_id id);
  void process_all_ready();
  // Makes ready round rd of id durable: storage, then what waited for it.
  void complete_write(node_id id, const raft::core::ready& rd);
  // async_storage: completes a random number of id's queued writes.
  void complete_some_writes(node_id id);
  // Completes the first count of id's queued writes (fewer if it crashes).
  void complete_writes(node_id id, std::size_t count);
  void apply(node_id id, const raft::core::entry& e);
  void tick_clocks();
  void deliver_due();
  bool deliverable(const raft::core::message& msg) const;
  void add_clock(node_id id);
  void check_leaders();
  void check_sent_now(node_id id, const raft::core::message& msg);
  void check_read(node_id id, const raft::core::read_state& read);
  void check_new_entries(node_id id, const std::vector<raft::core::entry>& entries);
  void check_durable_log(node_id id);
  void check_dropped_entries(node_id id, const std::vector<raft::core::entry>& dropped,
                             std::uint64_t covered_up_to);
  bool blocked(node_id from, node_id to) const;

  struct in_flight_message {
    std::uint64_t deliver_at;
    std::uint64_t order; // random: reorders messages due at the same tick
    raft::core::message msg;
  };

  options opts_;
  std::mt19937_64 rng_;
  std::uint64_t now_ = 0;
  std::uint64_t sequence_ = 0;
  std::vector<node_id> initial_;
  std::map<node_id, std::unique_ptr<raft::core::node>> nodes_;
  std::map<node_id, storage> disks_;
  std::map<node_id, std::deque<raft::core::ready>> unwritten_; // async_storage
  std::map<node_id, state_machine> machines_;
  std::map<node_id, std::vector<raft::core::read_state>> reads_;
  std::map<node_id, bool> initial_member_;
  std::vector<in_flight_message> network_;
  std::set<std::pair<node_id, node_id>> blocked_;

  // Fixed point: one node tick is clock_unit; a node ticks each time its
  // phase reaches it, so rates and phases replay exactly on every platform.
  static constexpr std::uint64_t clock_unit = 1'000'000;
  struct node_clock {
    std::uint64_t rate = clock_unit; // added to phase every cluster tick
    std::uint64_t phase = 0;
    std::uint64_t ticks = 0;
    bool paused = false;
  };
  std::map<node_id, node_clock> clocks_;

  // checker state
  std::map<std::uint64_t, node_id> leader_of_term_;
  struct committed_entry {
    std::uint64_t term;
    std::uint64_t digest; // state machine digest after applying it
    std::string data;
    // The term of the first node to apply it: no earlier than the term in
    // which it was committed (a node learns of a commit from a leader of
    // its own term, or later).
    std::uint64_t known_in_term;
  };
  // Every entry any node applied, by index: what the cluster committed.
  std::map<std::uint64_t, committed_entry> committed_;
  std::map<node_id, std::uint64_t> checked_leader_term_;
  // Reads requested through read_index(): (node, context) -> the highest
  // known commit then, and the cluster tick.
  struct requested_read {
    std::uint64_t known_commit;
    std::uint64_t at;
  };
  std::map<std::pair<node_id, std::string>, requested_read> requested_reads_;
  std::uint64_t known_commit_before_crashes_ = 0;
  std::string violation_;
  std::uint64_t violation_tick_ = 0;
};

} // namespace dref::test::sim
