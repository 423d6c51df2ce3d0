#pragma once
// A deterministic simulated cluster of raft::core nodes for tests: a seeded
// network that drops, delays, duplicates and reorders messages and can be
// partitioned; per-node storage that a crash reduces to what was persisted;
// a toy state machine (a hash chain of applied commands); and a checker of
// Raft's safety properties that runs after every step, incrementally.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dref/raft/core/node.hpp"

namespace dref::test::sim {

using raft::core::node_id;

struct options {
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  double drop = 0;      // probability a message is lost
  double duplicate = 0; // probability a message is delivered twice
  int max_delay = 0;    // extra ticks a message may take (reorders)
  bool pre_vote = true;
  bool check_quorum = true;
  int election_ticks = 10;
  std::size_t max_inflight = 8;
  std::size_t max_message_bytes = 4096;
  std::size_t snapshot_chunk_bytes = 16;
  bool batch_proposals = true;
};

struct storage {
  raft::core::persisted_state state;
};

struct state_machine {
  std::uint64_t applied = 0;
  std::uint64_t digest = 0;
  std::vector<std::string> applied_data; // data of normal entries, in order (since restart)
};

class cluster {
public:
  explicit cluster(options opts);

  // One step: every live node ticks, due messages are delivered, every node
  // persists/sends/applies its ready(), then the safety checks run.
  void tick();
  void run(int ticks);
  // Delivers every message in flight (ignoring delays) and processes readies,
  // without ticking, until the network is empty or max_rounds pass.
  void settle(int max_rounds = 50);

  raft::core::node& at(node_id id) { return *nodes_.at(id); }
  bool alive(node_id id) const { return nodes_.count(id) != 0 && nodes_.at(id) != nullptr; }
  std::vector<node_id> ids() const;
  // The live leader with the highest term, if any.
  std::optional<node_id> leader() const;
  // Ticks until some node is leader (and stays so for a quorum round).
  std::optional<node_id> wait_for_leader(int max_ticks);

  result<std::uint64_t> propose(node_id to, std::string data);
  // Proposes through the current leader and ticks until every live member
  // applied it; false when that does not happen within max_ticks.
  bool commit_through_leader(std::string data, int max_ticks);

  void crash(node_id id);
  void restart(node_id id);
  void isolate(node_id id);
  void partition(const std::set<node_id>& side_a);
  void cut(node_id from, node_id to); // one-way
  void heal();
  void set_faults(double drop, double duplicate, int max_delay);
  // Adds a fresh node that knows no membership yet (it learns from the log).
  node_id add_empty_node();
  void compact(node_id id);

  const state_machine& machine(node_id id) const { return machines_.at(id); }
  const storage& disk(node_id id) const { return disks_.at(id); }
  std::uint64_t now() const { return now_; }
  std::uint64_t highest_committed() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  const std::vector<raft::core::read_state>& reads(node_id id) { return reads_[id]; }

  // The first safety violation found, empty while there is none.
  const std::string& violation() const { return violation_; }

  std::mt19937_64& rng() { return rng_; }
  std::uint64_t next_sequence() { return ++sequence_; }

private:
  raft::core::config node_config(node_id id, bool initial_member) const;
  void send(const raft::core::message& msg);
  void deliver(const raft::core::message& msg);
  void process_ready(node_id id);
  void process_all_ready();
  void apply(node_id id, const raft::core::entry& e);
  void check_leaders();
  void check_new_entries(node_id id, const std::vector<raft::core::entry>& entries);
  void fail(std::string what);
  bool blocked(node_id from, node_id to) const;
  bool is_member_of_own_config(const raft::core::node& n) const;

  struct in_flight {
    std::uint64_t deliver_at;
    std::uint64_t order;
    raft::core::message msg;
  };

  options opts_;
  std::mt19937_64 rng_;
  std::uint64_t now_ = 0;
  std::uint64_t sequence_ = 0;
  std::vector<node_id> initial_;
  std::map<node_id, std::unique_ptr<raft::core::node>> nodes_;
  std::map<node_id, storage> disks_;
  std::map<node_id, state_machine> machines_;
  std::map<node_id, std::vector<raft::core::read_state>> reads_;
  std::map<node_id, bool> initial_member_;
  std::vector<in_flight> network_;
  std::set<std::pair<node_id, node_id>> blocked_;

  // checker state
  std::map<std::uint64_t, node_id> leader_of_term_;
  struct committed_entry {
    std::uint64_t term;
    std::uint64_t digest;
    std::string data;
  };
  std::map<std::uint64_t, committed_entry> committed_;
  std::map<node_id, std::uint64_t> checked_leader_term_;
  std::string violation_;
};

} // namespace dref::test::sim
