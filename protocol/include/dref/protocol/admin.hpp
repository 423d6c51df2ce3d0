#pragma once
// What operators ask a cluster member (drefctl, the gateway): its view of
// the cluster.

#include "dref/protocol/codec.hpp"
#include "dref/protocol/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::protocol {

struct member_info {
  static constexpr std::string_view wire_name = "admin.member_info";
  std::string name;
  std::string address; // host:port, empty when this member never told us
  bool voter = true;   // false: a learner
  bool reachable = false;
  template <class A>
  void serialize(A& ar) {
    ar(name, address, voter, reachable);
  }
  friend bool operator==(const member_info&, const member_info&) = default;
};

struct node_status {
  static constexpr std::string_view wire_name = "admin.node_status";
  std::string name;
  std::string address;
  std::string role;   // follower, pre_candidate, candidate, leader, starting
  std::string leader; // empty when unknown
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t snapshot_index = 0;
  std::vector<member_info> members;
  // A digest of the store's whole state at applied_index, when asked for
  // ((status_atom, digest_atom): it costs a snapshot); 0 otherwise. Members
  // at one applied index must show equal digests.
  std::uint64_t state_digest = 0;
  template <class A>
  void serialize(A& ar) {
    ar(name, address, role, leader, term, commit_index, applied_index, snapshot_index, members,
       state_digest);
  }
  friend bool operator==(const node_status&, const node_status&) = default;
};

// A membership change, run by the leader (any member forwards it there).
// Members are named as in their node_id; `address` (host:port) is needed to
// add one, so that every member can reach it.
enum class member_change_kind : std::uint8_t { add_learner = 0, promote = 1, remove = 2 };

struct member_change {
  static constexpr std::string_view wire_name = "admin.member_change";
  member_change_kind kind = member_change_kind::add_learner;
  std::string name;
  std::string address;
  template <class A>
  void serialize(A& ar) {
    auto k = static_cast<std::uint8_t>(kind);
    ar(k, name, address);
    kind = static_cast<member_change_kind>(k);
  }
  friend bool operator==(const member_change&, const member_change&) = default;
};

// Hands leadership to the named voter (the leader runs it).
struct leader_transfer {
  static constexpr std::string_view wire_name = "admin.leader_transfer";
  std::string to;
  template <class A>
  void serialize(A& ar) {
    ar(to);
  }
  friend bool operator==(const leader_transfer&, const leader_transfer&) = default;
};

// The answer to an admin request: empty error means done (committed).
struct admin_reply {
  static constexpr std::string_view wire_name = "admin.reply";
  std::optional<dref::error> error;
  template <class A>
  void serialize(A& ar) {
    ar(error);
  }
  friend bool operator==(const admin_reply&, const admin_reply&) = default;
};

} // namespace dref::protocol
