// /v1/cluster/status, /v1/cluster/transfer, /readyz and /metrics
// (docs/http.md).
#include "dref/config/load.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "router.hpp"

#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <variant>

namespace dref::gateway {

namespace {

using nlohmann::json;

std::string seconds_text(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

json status_json(const protocol::node_status& st) {
  return {{"role", st.role},
          {"leader", st.leader},
          {"term", st.term},
          {"commit_index", st.commit_index},
          {"applied_index", st.applied_index},
          {"snapshot_index", st.snapshot_index}};
}

void histogram(std::string& out, std::string_view name, std::string_view help,
               const raft::node::latency_histogram& h) {
  auto n = std::string{name};
  out += "# HELP " + n + " " + std::string{help} + "\n# TYPE " + n + " histogram\n";
  for (std::size_t i = 0; i < h.bounds.size(); ++i)
    out += n + "_bucket{le=\"" + seconds_text(h.bounds[i]) + "\"} " +
           std::to_string(h.at_or_under(i)) + "\n";
  out += n + "_bucket{le=\"+Inf\"} " + std::to_string(h.count()) + "\n" + n + "_sum " +
         seconds_text(h.sum_seconds()) + "\n" + n + "_count " + std::to_string(h.count()) + "\n";
}

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  out += "# HELP " + std::string{name} + " " + std::string{help} + "\n# TYPE " + std::string{name} +
         " counter\n" + std::string{name} + " " + std::to_string(value) + "\n";
}

void gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  out += "# HELP " + std::string{name} + " " + std::string{help} + "\n# TYPE " + std::string{name} +
         " gauge\n" + std::string{name} + " " + std::to_string(value) + "\n";
}

// The member's own counters and its store's contents, as Prometheus series.
void render_member_figures(std::string& text, const raft::node::node_overview& here) {
  const auto& f = here.figures;
  counter(text, "dref_raft_proposals_committed_total",
          "Proposals this member led into the log and answered once applied.",
          f.proposals_committed);
  counter(text, "dref_raft_leader_changes_total", "New leaders this member has seen.",
          f.leader_changes);
  histogram(text, "dref_raft_commit_duration_seconds",
            "From a proposal entering this leader's log to its entry being applied.",
            f.commit_latency);
  histogram(text, "dref_raft_forward_duration_seconds",
            "From a proposal forwarded to the leader to its answer, on this follower.",
            f.forward_latency);
  histogram(text, "dref_raft_persist_duration_seconds",
            "One ready round's log append and fsync on this member.", f.persist_latency);
  counter(text, "dref_raft_snapshots_total", "Snapshots of the store this member has taken.",
          f.snapshots_taken);
  gauge(text, "dref_raft_snapshot_bytes", "Size of the member's latest snapshot.",
        f.last_snapshot_bytes);
  const auto& st = here.store;
  gauge(text, "dref_store_refs", "Values (refs) in the member's store.", st.values);
  gauge(text, "dref_store_sessions", "Live sessions in the member's store.", st.sessions);
  gauge(text, "dref_store_locks_held", "Locks held.", st.locks_held);
  gauge(text, "dref_store_lock_waiters", "Sessions waiting for a lock.", st.lock_waiters);
  gauge(text, "dref_store_topics", "Topics.", st.topics);
  gauge(text, "dref_store_promises", "Promises.", st.promises);
  gauge(text, "dref_store_delays", "Delays.", st.delays);
  gauge(text, "dref_watchers", "Watches this member serves ((id, watcher) pairs).", here.watchers);
}

} // namespace

result<protocol::node_status> router::status_of(const protocol::member_info& member,
                                                const std::string& local_name) {
  if (member.name == local_name)
    return member_.status(sys_, status_timeout_);
  auto address = config::parse_endpoint(member.address);
  if (!address)
    return error{errc::unavailable, "its address is not known"};
  std::optional<raft_member> peer;
  {
    std::lock_guard lock{peers_mutex_};
    if (auto known = peers_.find(member.address); known != peers_.end())
      peer = known->second;
  }
  if (!peer) {
    try {
      peer = raft_member::connect(sys_, address->host, address->port);
    } catch (const error_exception& ex) {
      return ex.error();
    }
    std::lock_guard lock{peers_mutex_};
    peers_.emplace(member.address, *peer);
  }
  auto st = peer->status(sys_, status_timeout_);
  if (!st) {
    std::lock_guard lock{peers_mutex_}; // connect afresh next time
    peers_.erase(member.address);
  }
  return st;
}

reply router::cluster_status() {
  auto local = member_.status(sys_, status_timeout_);
  if (!local)
    return error_reply(local.error());
  return json_reply(
      200, {{"member", local->name}, {"leader", local->leader}, {"members", members_json(*local)}});
}

nlohmann::json router::members_json(const protocol::node_status& local) {
  json members = json::array();
  for (const auto& member : local.members) {
    json row{{"name", member.name}, {"address", member.address}, {"voter", member.voter}};
    auto st = status_of(member, local.name);
    row["reachable"] = st.has_value();
    if (st)
      row.update(status_json(*st));
    else
      row["error"] = st.error().message;
    members.push_back(std::move(row));
  }
  return members;
}

result<raft::node::node_overview> router::overview_here() {
  caf::scoped_actor self{sys_, true};
  result<raft::node::node_overview> out = error{errc::internal, "no answer"};
  self->request(node_, status_timeout_, protocol::read_atom::value, protocol::local_atom::value,
                raft::node::overview_atom::value)
      .receive([&](raft::node::node_overview& got) { out = std::move(got); },
               [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

reply router::transfer_leadership(const json& body) {
  auto to = body.find("to");
  if (to == body.end() || !to->is_string())
    return error_reply(400, "invalid_argument", "\"to\" (a member name) is missing");
  auto name = to->get<std::string>();
  auto moved = member_.transfer_leadership(sys_, name, request_timeout_);
  if (!moved)
    return error_reply(moved.error());
  return json_reply(200, {{"leader", name}});
}

// Ready: this member knows a leader and is not catching up: it applied
// what it knows committed, but for the entries of the ready round under way
// (committed a moment before they are applied, so a member taking writes is
// always a few behind; one catching up after a restart is far more).
constexpr std::uint64_t ready_lag_entries = 64;

reply router::readiness() {
  auto st = member_.status(sys_, status_timeout_);
  if (!st)
    return error_reply(503, "not_ready", st.error().message);
  if (st->leader.empty())
    return error_reply(503, "not_ready", "no leader known");
  if (st->applied_index + ready_lag_entries < st->commit_index)
    return error_reply(503, "not_ready",
                       "applied " + std::to_string(st->applied_index) + " of " +
                           std::to_string(st->commit_index) + " committed entries");
  auto out = status_json(*st);
  out["ready"] = true;
  return json_reply(200, out);
}

reply router::render_metrics() {
  std::string text;
  if (auto st = member_.status(sys_, status_timeout_)) {
    gauge(text, "dref_raft_term", "The member's current Raft term.", st->term);
    gauge(text, "dref_raft_commit_index", "Highest log index the member knows committed.",
          st->commit_index);
    gauge(text, "dref_raft_applied_index", "Highest log index applied to the member's store.",
          st->applied_index);
    gauge(text, "dref_raft_snapshot_index", "Log index of the member's latest snapshot.",
          st->snapshot_index);
    gauge(text, "dref_raft_members", "Members in the member's configuration.", st->members.size());
    gauge(text, "dref_raft_has_leader", "1 when the member knows a leader.",
          st->leader.empty() ? 0 : 1);
    text += "# HELP dref_raft_role The member's Raft role (1 for the current one).\n"
            "# TYPE dref_raft_role gauge\n";
    for (std::string_view role : {"follower", "pre_candidate", "candidate", "leader", "starting"})
      text += "dref_raft_role{role=\"" + std::string{role} + "\"} " +
              (st->role == role ? "1" : "0") + "\n";
    text += "# HELP dref_raft_member_reachable 1 when the member hears from that member.\n"
            "# TYPE dref_raft_member_reachable gauge\n";
    for (const auto& member : st->members)
      text += "dref_raft_member_reachable{member=\"" + member.name + "\"} " +
              (member.reachable ? "1" : "0") + "\n";
  }
  if (auto here = overview_here())
    render_member_figures(text, *here);
  metrics_->render(text);
  reply out;
  out.body = std::move(text);
  out.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return out;
}

} // namespace dref::gateway
