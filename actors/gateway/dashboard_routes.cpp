// The dashboard (docs/http.md, "Dashboard"): its files, compiled in, and
// the overview its stream sends (shape in docs/http.md).
#include "dashboard/embedded.hpp"
#include "router.hpp"
#include "value_json.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

namespace dref::gateway {

namespace {

using nlohmann::json;

json milliseconds_or_null(std::optional<double> seconds) {
  return seconds ? json(*seconds * 1000.0) : json(nullptr);
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

} // namespace

std::optional<reply> router::dashboard_file(std::string_view path) {
  const auto* file = find_embedded(path);
  if (!file)
    return std::nullopt;
  reply out;
  out.body = std::string{file->body};
  out.content_type = std::string{file->content_type};
  out.headers.emplace_back("Cache-Control", "no-cache");
  return out;
}

std::string router::dashboard_overview() {
  json frame{{"type", "overview"}, {"time_ms", unix_ms()}};
  auto local = member_.status(sys_, status_timeout_);
  if (local) {
    frame["member"] = local->name;
    frame["leader"] = local->leader;
    auto members = members_json(*local);
    // Lag: how far each member's applied state is behind the commit index
    // its leader reports.
    std::optional<std::uint64_t> committed;
    for (const auto& m : members)
      if (m.value("role", "") == "leader")
        committed = m.value("commit_index", std::uint64_t{0});
    for (auto& m : members) {
      if (committed && m.contains("applied_index"))
        m["lag"] = *committed > m["applied_index"].get<std::uint64_t>()
                       ? *committed - m["applied_index"].get<std::uint64_t>()
                       : 0;
      else
        m["lag"] = nullptr;
    }
    frame["members"] = std::move(members);
  } else {
    frame["member"] = "";
    frame["leader"] = "";
    frame["members"] = json::array();
    frame["error"] = local.error().message;
  }
  auto here = overview_here();
  if (!here) {
    frame["raft"] = {{"proposals_total", local ? local->commit_index : 0},
                     {"leader_changes_total", 0},
                     {"commit_latency_ms", {{"p50", nullptr}, {"p99", nullptr}}}};
    return frame.dump();
  }
  json latency;
  {
    // Measured where proposals commit: the leader's log, or on a follower
    // the round trip of what it forwarded; each since the last frame.
    std::lock_guard lock{dashboard_mutex_};
    const auto& f = here->figures;
    bool leads = local && local->role == "leader";
    const auto& now = leads ? f.commit_latency : f.forward_latency;
    const auto& before = leads ? last_commit_latency_ : last_forward_latency_;
    latency = {{"p50", milliseconds_or_null(now.quantile_since(before, 0.5))},
               {"p99", milliseconds_or_null(now.quantile_since(before, 0.99))}};
    last_commit_latency_ = f.commit_latency;
    last_forward_latency_ = f.forward_latency;
  }
  // Entries this member knows committed: one per proposal, whoever leads
  // (plus the rare no-op and membership entry), so the page's rate is the
  // cluster's from any member.
  frame["raft"] = {{"proposals_total", local ? local->commit_index : here->store.applied_index},
                   {"leader_changes_total", here->figures.leader_changes},
                   {"commit_latency_ms", std::move(latency)}};
  const auto& st = here->store;
  json refs = json::array();
  for (const auto& row : st.value_rows) {
    json item{{"id", row.id}, {"version", row.version}, {"truncated", row.truncated}};
    put_bytes(item, "value", row.value);
    refs.push_back(std::move(item));
  }
  frame["refs"] = {{"revision", st.values_revision}, {"more", st.values_more}, {"items", refs}};
  json locks = json::array();
  for (const auto& row : st.lock_rows) {
    json waiters = json::array();
    for (const auto& w : row.state.waiters)
      waiters.push_back({{"owner", w.owner}, {"session", w.session}});
    locks.push_back({{"id", row.id},
                     {"held", row.state.held},
                     {"owner", row.state.owner},
                     {"session", row.state.session},
                     {"token", row.state.token},
                     {"waiters", std::move(waiters)}});
  }
  frame["locks"] = std::move(locks);
  json sessions = json::array();
  for (const auto& row : st.session_rows)
    sessions.push_back(
        {{"id", row.id},
         {"ttl_ms", row.ttl_ms},
         {"expires_in_ms", row.deadline_ms > st.now_ms ? row.deadline_ms - st.now_ms : 0}});
  frame["sessions"] = std::move(sessions);
  json topics = json::array();
  for (const auto& row : st.topic_rows) {
    json last = json::array();
    for (const auto& m : row.last) {
      json item{{"seq", m.seq}};
      put_bytes(item, "message", m.message);
      last.push_back(std::move(item));
    }
    topics.push_back({{"id", row.id}, {"next_seq", row.next_seq}, {"last", std::move(last)}});
  }
  frame["topics"] = std::move(topics);
  return frame.dump();
}

} // namespace dref::gateway
