#pragma once
// What operators ask a cluster member (drefctl, the gateway): its view of
// the cluster, and membership changes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dref/protocol/codec.hpp"

namespace dref::protocol {

struct member_info {
  static constexpr std::string_view wire_name = "admin.member_info";
  std::string name;
  std::string address; // host:port, empty when this member never told us
  bool voter = true;   // false: a learner
  bool reachable = false;
  template <class A> void serialize(A& ar) { ar(name, address, voter, reachable); }
  friend bool operator==(const member_info&, const member_info&) = default;
};

struct node_status {
  static constexpr std::string_view wire_name = "admin.node_status";
  std::string name;
  std::string address;
  std::string role; // follower, pre_candidate, candidate, leader, starting
  std::string leader; // empty when unknown
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t snapshot_index = 0;
  std::vector<member_info> members;
  template <class A> void serialize(A& ar) {
    ar(name, address, role, leader, term, commit_index, applied_index, snapshot_index, members);
  }
  friend bool operator==(const node_status&, const node_status&) = default;
};

enum class member_change : std::uint8_t { add_learner = 0, promote = 1, remove = 2 };

// A membership change asked of any member; followers pass it to the leader.
// address is needed to add a member, name for the others.
struct member_request {
  static constexpr std::string_view wire_name = "admin.member_request";
  member_change change = member_change::add_learner;
  std::string name;
  std::string address;
  template <class A> void serialize(A& ar) {
    auto kind = static_cast<std::uint8_t>(change);
    ar(kind, name, address);
    change = static_cast<member_change>(kind);
  }
  friend bool operator==(const member_request&, const member_request&) = default;
};

// The answer to a member_request, a transfer or a forwarded proposal.
struct admin_reply {
  static constexpr std::string_view wire_name = "admin.reply";
  std::optional<dref::error> error;
  std::string detail;
  template <class A> void serialize(A& ar) { ar(error, detail); }
  friend bool operator==(const admin_reply&, const admin_reply&) = default;
};

} // namespace dref::protocol
