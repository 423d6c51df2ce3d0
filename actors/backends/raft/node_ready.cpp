// The ready loop (node_state.hpp): each round of the Raft core sent, applied
// and handed to the storage writer, and what waited for the writer.
#include "dref/backends/seam/catch_up.hpp"
#include "dref/backends/seam/prefix_catch_up.hpp"
#include "dref/log.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "node_state.hpp"

namespace dref::raft::node {

namespace {

using protocol::store_read;
using protocol::store_reply;

error unavailable(const std::string& why) {
  return error{errc::unavailable, why};
}

// --- apply -----------------------------------------------------------------

void answer_pending(node_actor* self, std::uint64_t index, const core::entry& entry,
                    const store_reply* reply) {
  auto settled =
      self->state.proposals.settle(index, entry.client_id, entry.sequence, reply != nullptr);
  if (!settled)
    return;
  auto& p = settled->proposal;
  if (settled->ours) {
    ++self->state.figures.proposals_committed;
    self->state.figures.commit_latency.observe(now() - p.proposed);
    if (p.forwarded)
      p.waiter.deliver(*reply, index);
    else
      p.waiter.deliver(*reply);
    return;
  }
  // Another leader's entry took this index: ours may still be in the log
  // later or lost; ask again under the same sequence (at most once).
  if (p.forwarded)
    p.waiter.deliver(to_caf_error(unavailable("leadership changed; retry")));
  else
    route_proposal(self, routed_proposal{std::move(p.proposal), std::move(p.waiter), p.deadline});
}

void serve_read(node_actor* self, read_request& r) {
  auto& st = self->state;
  if (r.watch) {
    st.watchers.add(r.watch->id, r.watch->watcher);
    r.promise.deliver(st.machine.store().applied_index());
    return;
  }
  r.promise.deliver(st.machine.store().read(r.request));
}

void after_apply(node_actor* self) {
  auto& st = self->state;
  for (auto& read : st.reads.take_servable(st.machine.applied()))
    serve_read(self, read);
  for (auto& [reply, promise] : st.proposals.take_replies(st.machine.applied()))
    promise.deliver(reply);
}

void apply_entry(node_actor* self, const core::entry& entry) {
  auto& st = self->state;
  auto applied = st.machine.apply(entry);
  if (!applied.fresh)
    return;
  st.watchers.notify(self, applied.events);
  st.history.append(entry.index, std::move(applied.events));
  for (const auto& member : applied.members)
    learn_member(self, member.name, member.address);
  st.hooks.applied(st.raft && st.raft->role() == core::role::leader, entry, applied,
                   [&st](core::node_id id) { return name_of(st, id); });
  answer_pending(self, entry.index, entry, applied.reply ? &*applied.reply : nullptr);
  if (auto answer = st.admin.applied(entry.index, entry.type == core::entry_type::config))
    answer->first.deliver(std::move(answer->second));
}

} // namespace

void install_snapshot(node_actor* self, const core::snapshot& snap) {
  auto& st = self->state;
  auto members = st.machine.install(snap);
  if (!members) {
    fail_fatally(self,
                 error{errc::corrupt_data, "snapshot from the leader at index " +
                                               std::to_string(snap.metadata.index) +
                                               " cannot be restored: " + members.error().message});
    return;
  }
  st.disk->installed(snap.metadata.index);
  for (const auto& member : *members)
    learn_member(self, member.name, member.address);
  // The events up to the snapshot never came here: watchers get what they
  // need to be current instead, marked as catch-up (backend_actor.hpp).
  st.history.forget_all(snap.metadata.index);
  for (const auto& id : st.watchers.ids()) {
    backend::id_state state;
    state.id = id;
    for (auto kind : backend::catch_up_kinds)
      state.replies.push_back(st.machine.store().read(store_read{kind, id, 0, 0}));
    st.watchers.notify(self, backend::catch_up_events(state));
  }
  for (const auto& key : st.watchers.prefix_keys())
    st.watchers.notify_key(self, key, backend::prefix_catch_up_from(st.machine.store(), key));
}

namespace {

void maybe_compact(node_actor* self) {
  auto& st = self->state;
  auto state = [&st] {
    auto taken = st.machine.store().snapshot();
    ++st.figures.snapshots_taken;
    st.figures.last_snapshot_bytes = taken.size();
    return taken;
  };
  st.disk->maybe_compact(*st.raft, st.machine.applied(), state);
}

void apply_committed(node_actor* self, const core::ready& r) {
  auto& st = self->state;
  for (const auto& e : r.committed)
    apply_entry(self, e);
  for (const auto& rs : r.reads)
    st.reads.confirmed(rs.context, rs.index);
  after_apply(self);
}

} // namespace

// --- the ready loop ----------------------------------------------------------

// Storage is asynchronous (raft/core's contract, node.hpp): each round's
// sends go at once and its committed entries are applied at once, while
// what must be durable goes to the storage writer; what waits for that
// (votes, acknowledgements, an installed snapshot) follows in on_persisted.
void process_ready(node_actor* self) {
  auto& st = self->state;
  while (st.raft && st.raft->has_ready() && !st.failed) {
    auto r = st.raft->ready();
    for (const auto& m : r.messages_now)
      send_raft(self, m);
    if (!r.snapshot_to_install)
      apply_committed(self, r);
    bool to_disk =
        r.snapshot_to_install || r.hard || !r.entries.empty() || !r.messages_after_persist.empty();
    if (!to_disk && st.rounds_on_disk_way == 0) {
      st.raft->advance(r);
      continue;
    }
    ++st.rounds_on_disk_way;
    st.disk->persist(std::move(r));
  }
  if (st.raft && !st.failed) {
    st.hooks.leading(st.raft->role() == core::role::leader, st.raft->term(), st.machine.applied());
    maybe_compact(self);
    start_read_round(self);
  }
}

void on_persisted(node_actor* self) {
  auto& st = self->state;
  // Several rounds may complete at once (the writer's group commit): their
  // acknowledgements go out together, the superseded ones left out.
  std::vector<core::message> promises;
  for (auto& done : st.disk->take_completed()) {
    if (st.failed)
      return;
    if (!done.outcome) {
      fail_fatally(self, done.outcome.error());
      return;
    }
    if (done.compaction)
      continue;
    --st.rounds_on_disk_way;
    auto& r = done.round;
    if (!r.entries.empty() || r.hard)
      st.figures.persist_latency.observe(done.took);
    if (r.snapshot_to_install) {
      install_snapshot(self, *r.snapshot_to_install);
      if (st.failed)
        return;
      apply_committed(self, r);
    }
    promises.insert(promises.end(), std::make_move_iterator(r.messages_after_persist.begin()),
                    std::make_move_iterator(r.messages_after_persist.end()));
    st.raft->advance(r);
  }
  core::drop_superseded_acknowledgements(promises);
  for (const auto& m : promises)
    send_raft(self, m);
  process_ready(self);
}

} // namespace dref::raft::node
