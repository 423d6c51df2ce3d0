#include "router.hpp"

#include "dashboard_feed.hpp"
#include "dref/backends/seam/limits_from.hpp"
#include "dref/backends/seam/watch_key.hpp"
#include "dref/store/input_checks.hpp"
#include "outbox.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace dref::gateway {

namespace {

constexpr std::string_view refs_prefix = "/v1/refs/";
constexpr std::string_view topics_prefix = "/v1/topics/";
constexpr std::string_view watch_refs_prefix = "/v1/watch/refs/";
constexpr std::string_view watch_topics_prefix = "/v1/watch/topics/";
constexpr std::string_view watch_prefix_prefix = "/v1/watch/prefix/";
constexpr std::string_view dashboard_stream = "/v1/dashboard/stream";
constexpr auto dashboard_period = std::chrono::milliseconds{500};

// The value of `name` in a query string ("a=1&stale=true"), if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

reply method_not_allowed(std::string_view method, std::string allowed) {
  auto out = error_reply(405, "method_not_allowed",
                         std::string{method} + " is not allowed here; allowed: " + allowed);
  out.headers.emplace_back("Allow", std::move(allowed));
  return out;
}

answer routed(answer out, std::string route) {
  std::visit(
      [&](auto& kind) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(kind)>, on_a_worker>)
          kind.route = std::move(route);
      },
      out);
  return out;
}

} // namespace

router::router(caf::actor_system& sys, const caf::actor& node, raft_member member,
               token_table tokens, std::shared_ptr<metrics> figures, const config::node_config& cfg)
    : sys_(sys)
    , node_(node)
    , member_(member)
    , context_(sys, member, context_options{cfg.timeouts.request, 200, cfg.timeouts.session_ttl})
    , tokens_(std::move(tokens))
    , metrics_(std::move(figures))
    , limits_(backend::limits_from(cfg))
    , request_timeout_(cfg.timeouts.request)
    , questions_(sys, node, cfg.timeouts.request) {}

router::~router() {
  dashboard_.reset(); // its thread builds frames through this router
}

namespace {

template <class Route>
answer guarded(Route route) {
  try {
    return route();
  } catch (const error_exception& ex) {
    return error_reply(ex.error());
  } catch (const std::exception& ex) {
    return error_reply(500, "internal", ex.what());
  }
}

} // namespace

answer router::begin(const request& req) {
  return guarded([&] { return route(req, false); });
}

answer router::handle(const request& req) {
  return guarded([&] { return route(req, true); });
}

stream_answer router::open_stream(const request& req, const std::shared_ptr<outbox>& box) {
  std::string_view target{req.target};
  auto question = target.find('?');
  auto path = target.substr(0, question);
  auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  stream_answer out;
  auto refuse = [&](reply why) {
    out.refusal = std::move(why);
    return out;
  };
  std::string_view prefix;
  if (path.starts_with(watch_refs_prefix)) {
    out.route = "/v1/watch/refs/{id}";
    prefix = watch_refs_prefix;
  } else if (path.starts_with(watch_topics_prefix)) {
    out.route = "/v1/watch/topics/{id}";
    prefix = watch_topics_prefix;
  } else if (path.starts_with(watch_prefix_prefix)) {
    out.route = "/v1/watch/prefix/{prefix}";
    prefix = watch_prefix_prefix;
  } else if (path == dashboard_stream) {
    out.route = std::string{dashboard_stream};
  } else {
    return refuse(error_reply(404, "not_found_route", "no stream " + std::string{path}));
  }
  if (req.method != "GET")
    return refuse(method_not_allowed(req.method, "GET"));
  // A browser cannot set headers on a WebSocket: it may send its token as
  // access_token instead.
  auto asked = req;
  if (auto token = query_value(query, "access_token"); token && asked.authorization.empty())
    asked.authorization = "Bearer " + percent_decoded(*token).value_or("");
  if (auto no = denied(asked, role::read))
    return refuse(std::move(*no));
  try {
    if (prefix.empty()) {
      std::lock_guard lock{dashboard_mutex_};
      if (!dashboard_)
        dashboard_ = std::make_unique<dashboard_feed>([this] { return dashboard_overview(); },
                                                      dashboard_period);
      dashboard_->add(box);
      return out;
    }
    auto id = percent_decoded(path.substr(prefix.size()));
    if (!id)
      return refuse(error_reply(400, "invalid_id", "the id is not percent-encoded correctly"));
    auto ok =
        prefix == watch_prefix_prefix
            ? backend::check_watch_prefix(*id, limits_)
            : store::check_id(*id, limits_, prefix == watch_refs_prefix ? "ref id" : "topic id");
    if (!ok)
      return refuse(error_reply(ok.error()));
    std::optional<std::uint64_t> from;
    if (auto text = query_value(query, "from")) {
      from = whole_number(*text);
      if (!from)
        return refuse(error_reply(400, "invalid_argument",
                                  prefix == watch_topics_prefix ? "from is a sequence number"
                                                                : "from is a version"));
    }
    out.refusal = prefix == watch_refs_prefix     ? open_ref_stream(*id, from, box)
                  : prefix == watch_prefix_prefix ? open_prefix_stream(*id, from, box)
                                                  : open_topic_stream(*id, from, box);
  } catch (const error_exception& ex) {
    out.refusal = error_reply(ex.error());
  } catch (const std::exception& ex) {
    out.refusal = error_reply(500, "internal", ex.what());
  }
  return out;
}

std::optional<reply> router::denied(const request& req, role needed) const {
  if (!tokens_.enforced())
    return std::nullopt;
  auto granted = tokens_.role_of(req.authorization);
  if (!granted) {
    auto out = error_reply(401, "unauthorized",
                           req.authorization.empty() ? "this route needs a bearer token"
                                                     : "the bearer token is not known");
    out.headers.emplace_back("WWW-Authenticate", "Bearer");
    return out;
  }
  if (*granted < needed)
    return error_reply(403, "forbidden",
                       "this route needs the " + std::string{to_string(needed)} +
                           " role; the token has " + std::string{to_string(*granted)});
  return std::nullopt;
}

answer router::route(const request& req, bool on_worker) {
  std::string_view target{req.target};
  auto question = target.find('?');
  auto path = target.substr(0, question);
  auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const auto& method = req.method;
  // The body as a JSON object for respond, or 400 (bad_json).
  auto with_json_body = [&req](auto respond) -> answer {
    auto parsed = json_object(req.body);
    if (auto* bad = std::get_if<reply>(&parsed))
      return std::move(*bad);
    return respond(std::get<nlohmann::json>(parsed));
  };
  // A route that waits on the member: on a worker only.
  auto waiting = [on_worker](auto respond) -> answer {
    if (!on_worker)
      return on_a_worker{};
    return respond();
  };
  auto only = [&](std::string_view allowed, std::string route, role needed,
                  auto respond) -> answer {
    if (method != allowed)
      return routed(method_not_allowed(method, std::string{allowed}), route);
    if (auto no = denied(req, needed))
      return routed(std::move(*no), route);
    return routed(respond(), route);
  };
  if (path.starts_with("/v1/watch/") || path == dashboard_stream)
    return routed(error_reply(426, "upgrade_required",
                              "this is a WebSocket stream: send a WebSocket upgrade"),
                  "stream");
  if (auto file = dashboard_file(path)) {
    if (method != "GET")
      return routed(method_not_allowed(method, "GET"), "/dashboard");
    return routed(std::move(*file), "/dashboard");
  }
  if (path == "/healthz" || path == "/readyz") {
    if (method != "GET")
      return routed(method_not_allowed(method, "GET"), std::string{path});
    if (path == "/healthz")
      return routed(json_reply(200, {{"status", "up"}}), "/healthz");
    return routed(waiting([&] { return readiness(); }), "/readyz");
  }
  if (path == "/metrics")
    return only("GET", "/metrics", role::read,
                [&] { return waiting([&] { return render_metrics(); }); });
  if (path == "/v1/cluster/status")
    return only("GET", "/v1/cluster/status", role::read,
                [&] { return waiting([&] { return cluster_status(); }); });
  if (path == "/v1/cluster/transfer")
    return only("POST", "/v1/cluster/transfer", role::admin, [&] {
      return with_json_body(
          [&](const auto& body) { return waiting([&] { return transfer_leadership(body); }); });
    });
  if (auto answered = route_coordination(req, path, on_worker))
    return std::move(*answered);
  if (path.starts_with(topics_prefix)) {
    std::string route = "/v1/topics/{id}";
    if (method != "GET" && method != "POST")
      return routed(method_not_allowed(method, "GET, POST"), route);
    if (auto no = denied(req, method == "GET" ? role::read : role::write))
      return routed(std::move(*no), route);
    auto id = percent_decoded(path.substr(topics_prefix.size()));
    if (!id)
      return routed(error_reply(400, "invalid_id", "the id is not percent-encoded correctly"),
                    route);
    if (auto ok = store::check_id(*id, limits_, "topic id"); !ok)
      return routed(error_reply(ok.error()), route);
    if (method == "POST")
      return routed(with_json_body([&](const auto& body) {
                      return waiting([&] { return publish_to_topic(*id, body); });
                    }),
                    route);
    return routed(waiting([&] {
                    return read_topic(*id, query_value(query, "from"), query_value(query, "limit"));
                  }),
                  route);
  }
  if (path == "/v1/txn")
    return only("POST", "/v1/txn", role::write, [&] {
      return with_json_body(
          [&](const auto& body) { return waiting([&] { return commit_txn(body); }); });
    });
  if (path == "/v1/refs")
    return only("GET", "/v1/refs", role::read, [&] {
      return waiting([&] {
        return list_refs(query_value(query, "prefix"), query_value(query, "after"),
                         query_value(query, "limit"));
      });
    });
  if (path.substr(0, refs_prefix.size()) != refs_prefix)
    return error_reply(404, "not_found_route", "no route " + std::string{path});
  auto rest = percent_decoded(path.substr(refs_prefix.size()));
  // POST on a path ending in one of these: an operation on the id before it.
  struct post_operation {
    std::string_view suffix;
    role needed;
    answer (router::*respond)(const std::string&, const nlohmann::json&);
  };
  static constexpr post_operation operations[] = {
      {"/add", role::write, &router::add_to_ref},
      {"/run", role::write, &router::run_on_ref},
      {"/query", role::read, &router::query_ref},
  };
  const post_operation* operation = nullptr;
  if (method == "POST" && rest)
    for (const auto& candidate : operations)
      if (rest->size() > candidate.suffix.size() && rest->ends_with(candidate.suffix))
        operation = &candidate;
  std::string route =
      operation ? "/v1/refs/{id}" + std::string{operation->suffix} : "/v1/refs/{id}";
  if (!operation && method != "GET" && method != "PUT" && method != "DELETE")
    return routed(
        method_not_allowed(method, "GET, PUT, DELETE (POST on /v1/refs/{id}/add, /run, /query)"),
        route);
  if (auto no = denied(req, operation         ? operation->needed
                            : method == "GET" ? role::read
                                              : role::write))
    return routed(std::move(*no), route);
  if (!rest)
    return routed(error_reply(400, "invalid_id", "the id is not percent-encoded correctly"), route);
  auto id = operation ? rest->substr(0, rest->size() - operation->suffix.size()) : *rest;
  if (auto ok = store::check_id(id, limits_, "ref id"); !ok)
    return routed(error_reply(ok.error()), route);
  if (operation)
    return routed(
        with_json_body([&](const auto& body) { return (this->*operation->respond)(id, body); }),
        route);
  if (method == "PUT")
    return routed(with_json_body(
                      [&](const auto& body) { return put_ref(id, body, req.if_match, on_worker); }),
                  route);
  if (method == "DELETE")
    return routed(remove_ref(id), route);
  auto stale = query_value(query, "stale");
  if (stale && *stale != "true" && *stale != "false")
    return routed(error_reply(400, "invalid_argument", "stale is true or false"), route);
  return routed(get_ref(id, stale && *stale == "true"), route);
}

} // namespace dref::gateway
