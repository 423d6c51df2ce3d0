#pragma once
// Raft's messages between cluster members. Every message is a raft_message
// envelope (from, to, term) around one payload; node ids are u64 (0 means
// "none"), the actor layer maps them to names.

#include "dref/protocol/raft_log_entry.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dref::protocol {

// RequestVote. With pre_vote set it asks "would you vote for me at this
// term?" without anybody changing term (dissertation §9.6). leader_transfer
// marks a campaign started by timeout_now, which voters honour even while
// they hear a leader.
struct raft_vote_request {
  static constexpr std::string_view wire_name = "raft.vote_request";
  std::uint64_t last_log_index = 0;
  std::uint64_t last_log_term = 0;
  bool pre_vote = false;
  bool leader_transfer = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(last_log_index, last_log_term, pre_vote, leader_transfer);
  }
  friend bool operator==(const raft_vote_request&, const raft_vote_request&) = default;
};

struct raft_vote_response {
  static constexpr std::string_view wire_name = "raft.vote_response";
  bool granted = false;
  bool pre_vote = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(granted, pre_vote);
  }
  friend bool operator==(const raft_vote_response&, const raft_vote_response&) = default;
};

// AppendEntries: entries follow (prev_index, prev_term); commit is the
// leader's commit index.
struct raft_append_entries {
  static constexpr std::string_view wire_name = "raft.append_entries";
  std::uint64_t prev_index = 0;
  std::uint64_t prev_term = 0;
  std::uint64_t commit = 0;
  std::vector<raft_log_entry> entries;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(prev_index, prev_term, commit, entries);
  }
  friend bool operator==(const raft_append_entries&, const raft_append_entries&) = default;
};

// On success, match_index is the last index known to match the leader. On a
// rejection, rejected_index is the prev_index that failed and (hint_index,
// hint_term) the follower's best guess of where the logs could agree, so that
// the leader skips a whole conflicting term per round trip instead of one
// entry.
struct raft_append_response {
  static constexpr std::string_view wire_name = "raft.append_response";
  bool success = false;
  std::uint64_t match_index = 0;
  std::uint64_t rejected_index = 0;
  std::uint64_t hint_index = 0;
  std::uint64_t hint_term = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(success, match_index, rejected_index, hint_index, hint_term);
  }
  friend bool operator==(const raft_append_response&, const raft_append_response&) = default;
};

// Heartbeats carry no entries; commit is capped at what the follower is
// known to match. read_context names the newest pending ReadIndex request,
// echoed in the response to confirm leadership.
struct raft_heartbeat {
  static constexpr std::string_view wire_name = "raft.heartbeat";
  std::uint64_t commit = 0;
  std::string read_context;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(commit, read_context);
  }
  friend bool operator==(const raft_heartbeat&, const raft_heartbeat&) = default;
};

struct raft_heartbeat_response {
  static constexpr std::string_view wire_name = "raft.heartbeat_response";
  std::string read_context;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(read_context);
  }
  friend bool operator==(const raft_heartbeat_response&, const raft_heartbeat_response&) = default;
};

// One chunk of a snapshot sent to a follower behind the leader's compaction
// point. Chunks arrive in order from offset 0; done marks the last one.
struct raft_install_snapshot {
  static constexpr std::string_view wire_name = "raft.install_snapshot";
  raft_snapshot_metadata metadata;
  std::uint64_t offset = 0;
  std::string chunk;
  bool done = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(metadata, offset, chunk, done);
  }
  friend bool operator==(const raft_install_snapshot&, const raft_install_snapshot&) = default;
};

// next_offset: the byte the follower expects next (so the leader can resend
// from there); done: the follower has the whole snapshot at index.
struct raft_install_snapshot_response {
  static constexpr std::string_view wire_name = "raft.install_snapshot_response";
  std::uint64_t index = 0;
  std::uint64_t next_offset = 0;
  bool done = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(index, next_offset, done);
  }
  friend bool operator==(const raft_install_snapshot_response&,
                         const raft_install_snapshot_response&) = default;
};

// Leadership transfer: "start an election now" (dissertation §3.10).
struct raft_timeout_now {
  static constexpr std::string_view wire_name = "raft.timeout_now";
  template <class Archive>
  void serialize(Archive&) {}
  friend bool operator==(const raft_timeout_now&, const raft_timeout_now&) = default;
};

// A follower forwards a linearizable read to the leader, which answers with
// the commit index the read must wait for.
struct raft_read_index_request {
  static constexpr std::string_view wire_name = "raft.read_index_request";
  std::string context;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(context);
  }
  friend bool operator==(const raft_read_index_request&, const raft_read_index_request&) = default;
};

struct raft_read_index_response {
  static constexpr std::string_view wire_name = "raft.read_index_response";
  std::string context;
  std::uint64_t index = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(context, index);
  }
  friend bool operator==(const raft_read_index_response&,
                         const raft_read_index_response&) = default;
};

using raft_payload =
    std::variant<raft_vote_request, raft_vote_response, raft_append_entries, raft_append_response,
                 raft_heartbeat, raft_heartbeat_response, raft_install_snapshot,
                 raft_install_snapshot_response, raft_timeout_now, raft_read_index_request,
                 raft_read_index_response>;

struct raft_message {
  static constexpr std::string_view wire_name = "raft.message";
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::uint64_t term = 0;
  raft_payload payload;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(from, to, term, payload);
  }
  friend bool operator==(const raft_message&, const raft_message&) = default;
};

} // namespace dref::protocol
