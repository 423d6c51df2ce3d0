#pragma once
// The routes of the gateway (docs/http.md has the API): each request is
// matched, authorised and checked here on the socket thread, which never
// waits. A route that is one store read or proposal answers with that
// question (member_questions.hpp); a route that has to wait on the member
// otherwise (locks, topics, the cluster, ...) answers on_a_worker and is
// routed again, with the blocking dref API, on one of the server's worker
// threads (never a CAF thread). Every call into the member has a timeout
// (timeouts.request_ms, a second for a member's status), so a worker is
// never held for longer.

#include "dref/backends/raft/node_overview.hpp"
#include "dref/context.hpp"
#include "dref/store/limits.hpp"
#include "exchange.hpp"
#include "member_questions.hpp"
#include "metrics.hpp"
#include "tokens.hpp"

#include <caf/actor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace dref::gateway {

class outbox;
class dashboard_feed;

// What open_stream answers: the route (as /metrics counts it) and, when the
// stream cannot open, the HTTP reply to send instead of the upgrade.
struct stream_answer {
  std::string route = "unknown";
  std::optional<reply> refusal;
};

// What a route answers: the reply; a question whose answer the reply is
// made from (router::ask); or on_a_worker: the route waits on the member,
// so route the request again on a worker (router::handle).
struct on_a_worker {};
using answer = std::variant<reply, read_question, write_question, on_a_worker>;

class router {
public:
  router(caf::actor_system& sys, const caf::actor& node, raft_member member, token_table tokens,
         std::shared_ptr<metrics> figures, const config::node_config& cfg);
  ~router(); // stops the dashboard's feed first

  // On the socket thread: never waits, never throws (a failure inside is a
  // 500 with its message), so hostile or malformed requests and liveness
  // probes are answered there, not queued behind routes waiting for a quorum.
  answer begin(const request& req);
  // On a worker, for a request begin() answered on_a_worker: may wait, never
  // answers on_a_worker, never throws.
  answer handle(const request& req);
  // member_questions::ask and drain (the server drains before it goes).
  template <class Question>
  void ask(Question question, std::function<void(reply)> done) {
    questions_.ask(std::move(question), std::move(done));
  }
  void drain() { questions_.drain(); }
  // A WebSocket upgrade (docs/http.md, "Streams"): authorises it, opens the
  // feed into box (which then holds what keeps the feed going) and answers
  // no refusal, or answers why not (404, 401/403, 400, 410 compacted, ...).
  // Never throws.
  stream_answer open_stream(const request& req, const std::shared_ptr<outbox>& box);

private:
  // on_worker: whether a route may wait (else it answers on_a_worker).
  answer route(const request& req, bool on_worker);
  // A 401 or 403 when the request's token does not grant `needed`.
  std::optional<reply> denied(const request& req, role needed) const;

  // ref_routes.cpp. body: the request's, a JSON object (route() answers
  // 400 otherwise).
  answer get_ref(const std::string& id, bool stale);
  // A question for a plain PUT; on_a_worker with If-Match, "session" or
  // "ttl_ms" (put_ref_waiting) unless on_worker.
  answer put_ref(const std::string& id, const nlohmann::json& body, const std::string& if_match,
                 bool on_worker);
  reply put_ref_waiting(const std::string& id, const std::string& bytes, const nlohmann::json& body,
                        const std::string& if_match);
  reply put_owned_ref(const std::string& id, const std::string& bytes, const nlohmann::json& body);
  answer add_to_ref(const std::string& id, const nlohmann::json& body);
  answer run_on_ref(const std::string& id, const nlohmann::json& body);
  answer query_ref(const std::string& id, const nlohmann::json& body);
  answer remove_ref(const std::string& id);
  reply commit_txn(const nlohmann::json& body);
  reply list_refs(std::optional<std::string_view> prefix, std::optional<std::string_view> after,
                  std::optional<std::string_view> limit);
  // One store read of the kind State answers: linearizable, or this
  // member's applied state (local). The store's refusals (not_found, ...)
  // come back as errors.
  template <class State>
  result<State> read_state(const protocol::store_read& read, bool local);

  // topic_routes.cpp
  reply publish_to_topic(const std::string& id, const nlohmann::json& body);
  reply read_topic(const std::string& id, std::optional<std::string_view> from,
                   std::optional<std::string_view> limit);
  reply topic_gone(const std::string& id, const error& err); // errc::compacted

  // lock_routes.cpp: sessions, locks and elections for HTTP clients.
  // owner_field: the body's field naming the owner ("owner"; "candidate"
  // for elections).
  reply open_session(const nlohmann::json& body);
  reply keep_session_alive(const std::string& session);
  reply close_session(const std::string& session);
  reply acquire_lock(const std::string& id, const nlohmann::json& body, const char* owner_field);
  reply release_lock(const std::string& id, const nlohmann::json& body, const char* owner_field);
  reply lock_status(const std::string& id);
  reply election_status(const std::string& name);
  result<protocol::lock_state> read_lock(const std::string& id); // linearizable
  // One store command to the member under the gateway's client id.
  result<protocol::store_result> propose(protocol::store_command command);
  std::optional<answer> route_coordination(const request& req, std::string_view path,
                                           bool on_worker);

  // cluster_routes.cpp
  reply cluster_status();
  reply transfer_leadership(const nlohmann::json& body);
  reply readiness();
  reply render_metrics();
  result<protocol::node_status> status_of(const protocol::member_info& member,
                                          const std::string& local_name);
  // Every member with its status or why it cannot be reached.
  nlohmann::json members_json(const protocol::node_status& local);
  // This member's figures and store overview (node_overview.hpp).
  result<raft::node::node_overview> overview_here();

  // stream_routes.cpp: nullopt once the feed is in box, else the refusal.
  std::optional<reply> open_ref_stream(const std::string& id, std::optional<std::uint64_t> from,
                                       const std::shared_ptr<outbox>& box);
  std::optional<reply> open_prefix_stream(const std::string& prefix,
                                          std::optional<std::uint64_t> from,
                                          const std::shared_ptr<outbox>& box);
  std::optional<reply> open_topic_stream(const std::string& id, std::optional<std::uint64_t> from,
                                         const std::shared_ptr<outbox>& box);

  // dashboard_routes.cpp: the files of the page, and its stream's frames.
  static std::optional<reply> dashboard_file(std::string_view path);
  std::string dashboard_overview();

  caf::actor_system& sys_;
  caf::actor node_;
  raft_member member_;
  context context_;
  token_table tokens_;
  std::shared_ptr<metrics> metrics_;
  store::limits limits_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds status_timeout_{1000};
  // Other members, connected once and kept (cluster status asks each).
  std::mutex peers_mutex_;
  std::map<std::string, raft_member> peers_;
  // The gateway's own proposals (propose): sequences still unanswered
  // keep the store's retry answers for them.
  std::mutex proposals_mutex_;
  std::uint64_t client_id_ = 0;
  std::uint64_t last_sequence_ = 0;
  std::set<std::uint64_t> outstanding_;
  // The dashboard's: the latencies as of its last frame (to show
  // those since), and its feed, started by the first dashboard stream.
  std::mutex dashboard_mutex_;
  raft::node::latency_histogram last_commit_latency_;
  raft::node::latency_histogram last_forward_latency_;
  std::unique_ptr<dashboard_feed> dashboard_;
  // Last: goes first, once every question in flight is answered.
  member_questions questions_;
};

} // namespace dref::gateway
