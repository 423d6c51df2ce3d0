#pragma once
// What an admin request asks of this leader's Raft core, checked against the
// current membership before anything is proposed. A membership change
// becomes one config change; adding a learner is preceded by its member
// directory entry, so that every member can reach it before it joins. A
// leadership transfer must name a voter. Each refusal names what was wrong
// and, where it helps, lists the members.

#include "dref/protocol/admin.hpp"
#include "dref/protocol/raft_log_entry.hpp"
#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/raft/core/types.hpp"

#include <functional>
#include <optional>
#include <string>

namespace dref::raft::node {

// How a member is called in messages (its name, or its id when unknown).
using member_namer = std::function<std::string(core::node_id)>;

// "a, b, c": the voters, then the learners.
std::string describe_members(const protocol::raft_config_state& members,
                             const member_namer& name_of);

struct member_change_plan {
  // add_learner: where the new member listens, to write into the member
  // directory before the change.
  std::optional<protocol::cmd_member_announce> directory_entry;
  protocol::raft_conf_change conf;
};

// change.name is not empty (checked before a follower forwards it).
result<member_change_plan> plan_member_change(const protocol::member_change& change,
                                              const protocol::raft_config_state& members,
                                              const member_namer& name_of);

// The voter to hand leadership to, asked of leader self; self when to
// names it: it leads already, nothing is to be done. to is not empty.
result<core::node_id> transfer_target(const std::string& to, core::node_id self,
                                      const protocol::raft_config_state& members,
                                      const member_namer& name_of);

} // namespace dref::raft::node
