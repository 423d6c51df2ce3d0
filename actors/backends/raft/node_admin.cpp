#include "dref/log.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "member_changes.hpp"
#include "node_state.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <string>
#include <type_traits>
#include <variant>

namespace dref::raft::node {

std::string name_of(const node_state& st, core::node_id id) {
  if (id == st.self_id)
    return st.options.name;
  auto name = st.members.name_of(id);
  return name ? *name : std::to_string(id);
}

namespace {

using protocol::store_proposal;

// --- admin: membership and leadership ------------------------------------------

// Answers an admin request with an error that names what was wrong.
void refuse_admin(caf::response_promise& promise, errc code, std::string text) {
  promise.deliver(protocol::admin_reply{error{code, std::move(text)}});
}

// Followers hand admin requests to the leader, and park them while they
// know of none (admin_waits.hpp); false: the leader is this member.
template <class Request>
bool forward_admin(node_actor* self, const Request& request, caf::response_promise& promise) {
  auto& st = self->state;
  auto park = [&](const char* because) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(st.options.request_timeout);
    st.admin.park(request, promise, now() + st.options.request_timeout,
                  std::string{because} + " " + st.options.name + " for " +
                      std::to_string(waited.count()) + " ms; nothing was done");
  };
  if (!st.raft) {
    park("this member was still starting after");
    return true;
  }
  if (st.raft->role() == core::role::leader)
    return false;
  auto leader = st.members.reachable(st.raft->leader());
  if (!leader) {
    park("no leader was reachable from");
    return true;
  }
  self->request(*leader, st.options.request_timeout, request)
      .then([promise](protocol::admin_reply& reply) mutable { promise.deliver(std::move(reply)); },
            [promise](caf::error& err) mutable {
              promise.deliver(protocol::admin_reply{from_caf_error(err)});
            });
  return true;
}

std::string describe_role(core::role r) {
  switch (r) {
    case core::role::follower:
      return "follower";
    case core::role::pre_candidate:
      return "pre_candidate";
    case core::role::candidate:
      return "candidate";
    case core::role::leader:
      return "leader";
  }
  return "unknown";
}

} // namespace

void change_membership(node_actor* self, const protocol::member_change& change,
                       caf::response_promise promise) {
  auto fail = [&](const error& e) { refuse_admin(promise, e.code, e.message); };
  if (change.name.empty())
    return fail(error{errc::invalid_argument, "a membership change needs the member's name"});
  if (forward_admin(self, change, promise))
    return;
  auto& st = self->state;
  auto plan = plan_member_change(change, st.raft->membership(),
                                 [&st](core::node_id id) { return name_of(st, id); });
  if (!plan)
    return fail(plan.error());
  if (plan->directory_entry) {
    auto entry = store_proposal{0, 0, 0, leader_time_ms(self), std::move(*plan->directory_entry)};
    if (auto put = st.raft->propose(0, 0, protocol::encode(entry)); !put)
      return fail(put.error());
  }
  auto index = st.raft->propose_conf_change(plan->conf);
  if (!index)
    return fail(error{index.error().code, "cannot change the membership for '" + change.name +
                                              "': " + index.error().message});
  st.admin.wait_for_change(*index, promise, now() + st.options.request_timeout);
  process_ready(self);
}

void transfer_leadership(node_actor* self, const protocol::leader_transfer& request,
                         caf::response_promise promise) {
  auto fail = [&](const error& e) { refuse_admin(promise, e.code, e.message); };
  if (request.to.empty())
    return fail(error{errc::invalid_argument, "name the member to hand leadership to"});
  if (forward_admin(self, request, promise))
    return;
  auto& st = self->state;
  auto id = transfer_target(request.to, st.self_id, st.raft->membership(),
                            [&st](core::node_id member) { return name_of(st, member); });
  if (!id)
    return fail(id.error());
  if (*id == st.self_id)
    return promise.deliver(protocol::admin_reply{});
  if (st.admin.transferring())
    return fail(error{errc::unavailable, "a leadership transfer is already in progress"});
  if (auto started = st.raft->transfer_leadership(*id); !started)
    return fail(started.error());
  st.admin.wait_for_transfer(*id, promise, now() + st.options.election * 4);
  process_ready(self);
}

void hand_over_before_stopping(node_actor* self, caf::response_promise promise) {
  auto& st = self->state;
  if (!st.raft || st.raft->role() != core::role::leader || st.admin.transferring())
    return promise.deliver(protocol::admin_reply{});
  std::optional<core::node_id> target;
  std::uint64_t best_match = 0;
  for (const auto& [id, pr] : st.raft->peers()) {
    if (id == st.self_id || pr.learner || !st.members.reachable(id))
      continue;
    if (!target || pr.match > best_match) {
      target = id;
      best_match = pr.match;
    }
  }
  if (!target)
    return promise.deliver(protocol::admin_reply{});
  log(log_level::info, "node " + st.options.name + " hands leadership to " + name_of(st, *target) +
                           " before it stops");
  transfer_leadership(self, protocol::leader_transfer{name_of(st, *target)}, std::move(promise));
}

void hand_over_leadership(const caf::actor& node, std::chrono::milliseconds patience) {
  // Asked from the node's own actor system: the node takes this from its
  // process only (from_this_process).
  caf::scoped_actor asker{node->home_system()};
  // Either answer, or none in time, means the same to the caller: stop now.
  asker->request(node, patience, hand_over_atom::value)
      .receive([](const protocol::admin_reply&) {}, [](const caf::error&) {});
}

void retry_parked_admin(node_actor* self) {
  auto& st = self->state;
  if (!st.admin.any_parked() || !st.raft ||
      (st.raft->role() != core::role::leader && !st.members.reachable(st.raft->leader())))
    return;
  for (auto& parked : st.admin.take_parked())
    std::visit(
        [&](const auto& request) {
          using request_type = std::decay_t<decltype(request)>;
          if constexpr (std::is_same_v<request_type, protocol::member_change>)
            change_membership(self, request, std::move(parked.waiter));
          else
            transfer_leadership(self, request, std::move(parked.waiter));
        },
        parked.request);
}

// --- status ------------------------------------------------------------------

protocol::node_status status_of(node_actor* self) {
  auto& st = self->state;
  protocol::node_status out;
  out.name = st.options.name;
  out.address = st.members.own_address();
  out.applied_index = st.machine.applied();
  out.snapshot_index = st.disk->snapshot_index();
  if (!st.raft) {
    out.role = "starting";
    return out;
  }
  out.role = describe_role(st.raft->role());
  out.term = st.raft->term();
  out.commit_index = st.raft->log().committed();
  if (auto leader = st.members.name_of(st.raft->leader()))
    out.leader = *leader;
  else if (st.raft->leader() == st.self_id)
    out.leader = st.options.name;
  auto add = [&](std::uint64_t id, bool voter) {
    protocol::member_info m;
    m.name = name_of(st, id);
    auto address = st.members.address_of(m.name);
    m.address = id == st.self_id ? st.members.own_address() : (address ? *address : "");
    m.voter = voter;
    m.reachable = id == st.self_id || st.members.reachable(id);
    out.members.push_back(std::move(m));
  };
  for (auto id : st.raft->membership().voters)
    add(id, true);
  for (auto id : st.raft->membership().learners)
    add(id, false);
  return out;
}

} // namespace dref::raft::node

namespace dref::raft::node {

node_overview overview_of(node_actor* self) {
  auto& st = self->state;
  if (st.raft)
    st.figures.leader_seen(st.raft->leader());
  return node_overview{st.figures, store::summarise(st.machine.store()), st.watchers.size()};
}

} // namespace dref::raft::node
