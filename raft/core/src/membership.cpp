// Membership changes, one server at a time (Raft dissertation §4.1): a node
// uses the newest configuration in its log, committed or not, so a change
// takes effect as soon as it is appended; the leader refuses a second change
// until the first is committed.
#include "dref/protocol/codec.hpp"
#include "dref/raft/core/node.hpp"

#include <algorithm>

namespace dref::raft::core {
namespace {

void erase_id(std::vector<node_id>& ids, node_id id) {
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
}

bool contains(const std::vector<node_id>& ids, node_id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void apply_change(protocol::raft_config_state& members, const protocol::raft_conf_change& change) {
  using kind = protocol::raft_conf_change_type;
  erase_id(members.voters, change.node);
  erase_id(members.learners, change.node);
  switch (change.type) {
    case kind::add_voter:
    case kind::promote_learner:
      members.voters.push_back(change.node);
      break;
    case kind::add_learner:
      members.learners.push_back(change.node);
      break;
    case kind::remove:
      break;
  }
}

} // namespace

protocol::raft_config_state node::membership_at(std::uint64_t index) const {
  auto members = snapshot_members_;
  for (auto i = log_.first_index(); i <= std::min(index, log_.last_index()); ++i) {
    const auto& e = log_.at(i);
    if (e.type != entry_type::config)
      continue;
    if (auto change = protocol::decode<protocol::raft_conf_change>(e.data))
      apply_change(members, *change);
  }
  return members;
}

void node::recompute_membership() {
  members_ = snapshot_members_;
  last_config_index_ = log_.snapshot_index();
  for (auto i = log_.first_index(); i <= log_.last_index(); ++i) {
    const auto& e = log_.at(i);
    if (e.type != entry_type::config)
      continue;
    last_config_index_ = i;
    if (auto change = protocol::decode<protocol::raft_conf_change>(e.data))
      apply_change(members_, *change);
  }
  sync_progress_with_membership();
}

void node::sync_progress_with_membership() {
  for (auto it = progress_.begin(); it != progress_.end();) {
    if (!is_member(it->first))
      it = progress_.erase(it);
    else
      ++it;
  }
  auto track = [&](node_id id, bool learner) {
    auto [it, fresh] = progress_.try_emplace(id);
    if (fresh)
      it->second.next = log_.last_index() + 1;
    it->second.learner = learner;
  };
  for (auto id : members_.voters)
    track(id, false);
  for (auto id : members_.learners)
    track(id, true);
  if (!is_member(cfg_.id))
    progress_.erase(cfg_.id);
}

result<std::uint64_t> node::propose_conf_change(protocol::raft_conf_change change) {
  using kind = protocol::raft_conf_change_type;
  if (role_ != core::role::leader)
    return error{errc::not_leader,
                 leader_ == no_node ? std::string{"not the leader; no leader known"}
                                    : "not the leader; leader is node " + std::to_string(leader_)};
  if (pending_conf_index_ > log_.committed())
    return error{errc::membership_change_pending,
                 "membership change at index " + std::to_string(pending_conf_index_) +
                     " is not committed yet; one change at a time"};
  if (change.node == no_node)
    return error{errc::invalid_argument, "node id 0 is reserved"};
  const bool voter = contains(members_.voters, change.node);
  const bool learner = contains(members_.learners, change.node);
  switch (change.type) {
    case kind::add_voter:
    case kind::add_learner:
      if (voter || learner)
        return error{errc::already_exists,
                     "node " + std::to_string(change.node) + " is already a member"};
      break;
    case kind::promote_learner:
      if (!learner)
        return error{errc::invalid_argument,
                     "node " + std::to_string(change.node) + " is not a learner"};
      break;
    case kind::remove: {
      if (!voter && !learner)
        return error{errc::not_found, "node " + std::to_string(change.node) + " is not a member"};
      if (voter) {
        // The remaining voters must still form a quorum of live nodes, or
        // the cluster could not commit anything after the removal.
        auto remaining = members_.voters;
        erase_id(remaining, change.node);
        if (remaining.empty())
          return error{errc::invalid_argument, "cannot remove the last voter"};
        std::size_t live = 0;
        for (auto id : remaining) {
          auto found = progress_.find(id);
          if (id == cfg_.id ||
              (found != progress_.end() && found->second.match + 1 >= log_.committed() &&
               found->second.match > 0))
            ++live;
        }
        if (live < remaining.size() / 2 + 1)
          return error{errc::unavailable, "removing node " + std::to_string(change.node) +
                                              " would leave fewer caught-up voters than a quorum"};
      }
      break;
    }
  }
  if (transfer_to_ != no_node)
    return error{errc::unavailable, "leadership transfer in progress"};
  entry e;
  e.type = entry_type::config;
  e.data = protocol::encode(change);
  append_own({std::move(e)});
  pending_conf_index_ = log_.last_index();
  return log_.last_index();
}

bool node::step_down_if_removed() {
  if (role_ == core::role::leader && !is_voter(cfg_.id) && log_.committed() >= last_config_index_) {
    become_follower(term_, no_node);
    return true;
  }
  return false;
}

} // namespace dref::raft::core
