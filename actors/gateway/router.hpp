#pragma once
// The routes of the gateway (docs/http.md has the API): each request is
// matched, authorised and answered here, with the blocking dref API, on one
// of the server's worker threads (never a CAF thread). Every call into the
// member has a timeout (timeouts.request_ms for the context, a second for a
// member's status), so a worker is never held for longer.

#include "dref/context.hpp"
#include "dref/store/limits.hpp"
#include "exchange.hpp"
#include "metrics.hpp"
#include "tokens.hpp"

#include <caf/actor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace dref::gateway {

class router {
public:
  router(caf::actor_system& sys, const caf::actor& node, raft_member member, token_table tokens,
         std::shared_ptr<metrics> figures, const config::node_config& cfg);

  // Never throws: a failure inside is a 500 with its message.
  reply handle(const request& req);
  // Whether handle(req) answers without asking the member (GET /healthz):
  // the server then answers on its socket thread, so that a liveness probe
  // is not queued behind routes waiting for a quorum.
  bool never_blocks(const request& req) const;

private:
  reply route(const request& req);
  // A 401 or 403 when the request's token does not grant `needed`.
  std::optional<reply> denied(const request& req, role needed) const;

  // ref_routes.cpp
  reply get_ref(const std::string& id, bool stale);
  // body: the request's, a JSON object (route() answers 400 otherwise).
  reply put_ref(const std::string& id, const nlohmann::json& body, const std::string& if_match);
  reply add_to_ref(const std::string& id, const nlohmann::json& body);
  result<protocol::value_state> read_here(const std::string& id);

  // topic_routes.cpp
  reply publish_to_topic(const std::string& id, const nlohmann::json& body);
  reply read_topic(const std::string& id, std::optional<std::string_view> from,
                   std::optional<std::string_view> limit);

  // cluster_routes.cpp
  reply cluster_status();
  reply transfer_leadership(const nlohmann::json& body);
  reply readiness();
  reply render_metrics();
  result<protocol::node_status> status_of(const protocol::member_info& member,
                                          const std::string& local_name);

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
};

} // namespace dref::gateway
