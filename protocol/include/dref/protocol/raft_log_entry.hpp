#pragma once
// Raft's replicated log entry and the durable state that goes with it.
// Wire types: they travel in append_entries and land in the WAL.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dref::protocol {

// normal: a client command; config: a membership change (data holds an
// encoded raft_conf_change); noop: the entry a new leader appends so that it
// can commit entries of its own term (Raft §5.4.2, §8).
enum class raft_entry_type : std::uint8_t { normal = 0, config = 1, noop = 2 };

struct raft_log_entry {
  static constexpr std::string_view wire_name = "raft.log_entry";

  std::uint64_t term = 0;
  std::uint64_t index = 0;
  raft_entry_type type = raft_entry_type::normal;
  // (client_id, sequence) identify a proposal so that the state machine can
  // apply a command at most once even when a client retries after a leader
  // change.
  std::uint64_t client_id = 0;
  std::uint64_t sequence = 0;
  std::string data;

  template <class Archive>
  void serialize(Archive& ar) {
    auto kind = static_cast<std::uint8_t>(type);
    ar(term, index, kind, client_id, sequence, data);
    type = static_cast<raft_entry_type>(kind);
  }
  friend bool operator==(const raft_log_entry&, const raft_log_entry&) = default;
};

// What must be durable before a node answers a vote or an append: the term
// it has seen, whom it voted for in that term, and the commit index it knows.
struct raft_hard_state {
  static constexpr std::string_view wire_name = "raft.hard_state";

  std::uint64_t term = 0;
  std::uint64_t voted_for = 0; // 0: nobody
  std::uint64_t commit = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(term, voted_for, commit);
  }
  friend bool operator==(const raft_hard_state&, const raft_hard_state&) = default;
};

// The cluster membership: voters count towards quorums, learners only
// receive the log.
struct raft_config_state {
  static constexpr std::string_view wire_name = "raft.config_state";

  std::vector<std::uint64_t> voters;
  std::vector<std::uint64_t> learners;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(voters, learners);
  }
  friend bool operator==(const raft_config_state&, const raft_config_state&) = default;
};

// Describes a snapshot: the last entry it covers and the membership at that
// entry.
struct raft_snapshot_metadata {
  static constexpr std::string_view wire_name = "raft.snapshot_metadata";

  std::uint64_t index = 0;
  std::uint64_t term = 0;
  raft_config_state config;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(index, term, config);
  }
  friend bool operator==(const raft_snapshot_metadata&, const raft_snapshot_metadata&) = default;
};

// One membership change (one server at a time), carried in a config entry.
enum class raft_conf_change_type : std::uint8_t {
  add_voter = 0,
  add_learner = 1,
  promote_learner = 2,
  remove = 3,
};

struct raft_conf_change {
  static constexpr std::string_view wire_name = "raft.conf_change";

  raft_conf_change_type type = raft_conf_change_type::add_voter;
  std::uint64_t node = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    auto kind = static_cast<std::uint8_t>(type);
    ar(kind, node);
    type = static_cast<raft_conf_change_type>(kind);
  }
  friend bool operator==(const raft_conf_change&, const raft_conf_change&) = default;
};

} // namespace dref::protocol
