#include "member_changes.hpp"

#include "dref/config/load.hpp"
#include "member_directory.hpp"
#include "state_machine.hpp"

#include <algorithm>

namespace dref::raft::node {
namespace {

bool has_member(const std::vector<core::node_id>& ids, core::node_id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace

std::string describe_members(const protocol::raft_config_state& members,
                             const member_namer& name_of) {
  std::string out;
  auto add = [&](core::node_id id) {
    if (!out.empty())
      out += ", ";
    out += name_of(id);
  };
  for (auto id : members.voters)
    add(id);
  for (auto id : members.learners)
    add(id);
  return out;
}

result<member_change_plan> plan_member_change(const protocol::member_change& change,
                                              const protocol::raft_config_state& members,
                                              const member_namer& name_of) {
  auto id = member_id(change.name);
  bool voter = has_member(members.voters, id);
  bool learner = has_member(members.learners, id);
  member_change_plan plan;
  plan.conf.node = id;
  using kind = protocol::member_change_kind;
  switch (change.kind) {
    case kind::add_learner: {
      if (voter || learner)
        return error{errc::already_exists, "'" + change.name + "' is already a member (as " +
                                               (voter ? "voter" : "learner") + ")"};
      auto address = config::parse_endpoint(change.address);
      if (!address)
        return error{errc::invalid_argument,
                     "adding '" + change.name +
                         "' needs its address as host:port: " + address.error().message};
      // Everyone learns where the new member listens from the directory, so
      // the entry goes into the log before the member does.
      plan.directory_entry = protocol::cmd_member_announce{change.name, address->to_string()};
      plan.conf.type = protocol::raft_conf_change_type::add_learner;
      return plan;
    }
    case kind::promote:
      if (voter)
        return error{errc::invalid_argument, "'" + change.name + "' is already a voter"};
      if (!learner)
        return error{errc::not_found, "no learner named '" + change.name + "' (members: " +
                                          describe_members(members, name_of) + ")"};
      plan.conf.type = protocol::raft_conf_change_type::promote_learner;
      return plan;
    case kind::remove:
      if (!voter && !learner)
        return error{errc::not_found, "no member named '" + change.name + "' (members: " +
                                          describe_members(members, name_of) + ")"};
      plan.conf.type = protocol::raft_conf_change_type::remove;
      return plan;
    default:
      return error{errc::invalid_argument, "unknown kind of membership change"};
  }
}

result<core::node_id> transfer_target(const std::string& to, core::node_id self,
                                      const protocol::raft_config_state& members,
                                      const member_namer& name_of) {
  auto id = member_id(to);
  if (id == self)
    return id;
  if (!has_member(members.voters, id))
    return error{has_member(members.learners, id) ? errc::invalid_argument : errc::not_found,
                 "'" + to + "' is not a voter and cannot lead (members: " +
                     describe_members(members, name_of) + ")"};
  return id;
}

} // namespace dref::raft::node
