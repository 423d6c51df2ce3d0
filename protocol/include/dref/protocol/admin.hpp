#pragma once
// What operators ask a cluster member (drefctl, the gateway): its view of
// the cluster.

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

} // namespace dref::protocol
