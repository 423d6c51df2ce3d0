// Sessions, locks and elections for HTTP clients (docs/http.md, "Locks and
// elections"): a client opens a session with a TTL and keeps it alive;
// locks are held by a session (fencing token on the grant) and go when it
// lapses; an election is the lock "election/<name>" with the candidate as
// its owner, as dref::election has it. Each call is one store command
// proposed to the member under the gateway's own client id, so a retry
// inside the cluster (a leader change) takes effect at most once.
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "router.hpp"
#include "value_json.hpp"

#include <array>
#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

namespace dref::gateway {

namespace {

using nlohmann::json;
using namespace protocol;

constexpr auto grant_poll = std::chrono::milliseconds{20};

std::optional<std::string> text_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
    return std::nullopt;
  return it->get<std::string>();
}

reply missing(const char* field, const char* what) {
  return error_reply(400, "invalid_argument",
                     std::string{"\""} + field + "\" (" + what + ") is missing");
}

std::uint64_t random_id() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

json lock_json(const std::string& id, const lock_state& lock) {
  json waiters = json::array();
  for (const auto& w : lock.waiters)
    waiters.push_back({{"owner", w.owner}, {"session", w.session}});
  return {{"id", id},
          {"held", lock.held},
          {"owner", lock.owner},
          {"session", lock.session},
          {"token", lock.token},
          {"waiters", std::move(waiters)}};
}

} // namespace

result<store_result> router::propose(store_command command) {
  std::uint64_t sequence = 0;
  std::uint64_t acked = 0;
  {
    std::lock_guard lock{proposals_mutex_};
    if (client_id_ == 0)
      client_id_ = random_id() | 1;
    sequence = ++last_sequence_;
    outstanding_.insert(sequence);
    acked = *outstanding_.begin() - 1;
  }
  caf::scoped_actor self{sys_, true};
  result<store_result> out = error{errc::internal, "no answer"};
  self->request(node_, request_timeout_, propose_atom::value,
                store_proposal{client_id_, sequence, acked, 0, std::move(command)})
      .receive(
          [&](store_reply& reply) {
            if (reply.error)
              out = std::move(*reply.error);
            else
              out = std::move(reply.value);
          },
          [&](caf::error& err) { out = from_caf_error(err); });
  std::lock_guard lock{proposals_mutex_};
  outstanding_.erase(sequence);
  return out;
}

result<lock_state> router::read_lock(const std::string& id) {
  return read_state<lock_state>({read_kind::lock, id, 0, 0}, false);
}

reply router::open_session(const json& body) {
  auto ttl = body.find("ttl_ms");
  if (ttl == body.end() || !ttl->is_number_unsigned())
    return missing("ttl_ms", "milliseconds");
  char name[40];
  std::snprintf(name, sizeof name, "http-%016llx", static_cast<unsigned long long>(random_id()));
  auto opened = propose(cmd_session_open{name, ttl->get<std::uint64_t>()});
  if (!opened)
    return error_reply(opened.error());
  return json_reply(200, {{"session", name},
                          {"ttl_ms", ttl->get<std::uint64_t>()},
                          {"deadline_ms", std::get<res_session>(*opened).deadline_ms}});
}

reply router::keep_session_alive(const std::string& session) {
  auto kept = propose(cmd_session_keepalive{session});
  if (!kept)
    return error_reply(kept.error());
  return json_reply(
      200, {{"session", session}, {"deadline_ms", std::get<res_session>(*kept).deadline_ms}});
}

reply router::close_session(const std::string& session) {
  auto closed = propose(cmd_session_close{session});
  if (!closed)
    return error_reply(closed.error());
  return json_reply(200, {{"session", session}, {"closed", true}});
}

// Queues the session (or takes the lock at once), waits up to wait_ms for
// the grant by reading the lock, and leaves the queue when it did not come:
// the answer to leaving says whether the grant won the race.
reply router::acquire_lock(const std::string& id, const json& body, const char* owner_field) {
  auto session = text_field(body, "session");
  if (!session)
    return missing("session", "from POST /v1/sessions");
  auto owner = text_field(body, owner_field).value_or("http");
  std::uint64_t wait_ms = 0;
  if (auto wait = body.find("wait_ms"); wait != body.end()) {
    if (!wait->is_number_unsigned() ||
        wait->get<std::uint64_t>() > static_cast<std::uint64_t>(request_timeout_.count()))
      return error_reply(400, "invalid_argument",
                         "\"wait_ms\" is 0 to " + std::to_string(request_timeout_.count()) +
                             " (timeouts.request_ms)");
    wait_ms = wait->get<std::uint64_t>();
  }
  auto granted = [&](std::uint64_t token) {
    return json_reply(200, {{"id", id}, {"held", true}, {"owner", owner}, {"token", token}});
  };
  auto asked = propose(cmd_lock_acquire{id, *session, owner, wait_ms > 0});
  if (!asked && asked.error().code != errc::would_block)
    return error_reply(asked.error());
  if (asked) {
    const auto& lock = std::get<res_lock>(*asked);
    if (lock.granted)
      return granted(lock.token);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{wait_ms};
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(grant_poll);
      auto now = read_lock(id);
      if (now && now->held && now->session == *session && now->owner == owner)
        return granted(now->token);
    }
    auto left = propose(cmd_lock_cancel_wait{id, *session, owner});
    if (left) {
      if (auto* won = std::get_if<res_lock>(&*left); won && won->granted)
        return granted(won->token);
    }
  }
  json held{
      {"error",
       {{"code", "would_block"}, {"message", "lock '" + id + "' is held by another session"}}}};
  if (auto now = read_lock(id))
    held["holder"] = now->owner;
  return json_reply(409, held);
}

reply router::release_lock(const std::string& id, const json& body, const char* owner_field) {
  auto session = text_field(body, "session");
  if (!session)
    return missing("session", "the holder's");
  auto token = body.find("token");
  if (token == body.end() || !token->is_number_unsigned())
    return missing("token", "the fencing token of the grant");
  auto owner = text_field(body, owner_field).value_or("http");
  // "to": the holder hands the lock over to the first waiter under that
  // owner (an election's candidate) instead of the head of the line.
  auto to = text_field(body, "to");
  if (body.contains("to") && (!to || to->empty()))
    return error_reply(400, "invalid_argument",
                       "\"to\" names the candidate (owner) to hand over to");
  auto released =
      to ? propose(cmd_lock_hand_over{id, *session, owner, token->get<std::uint64_t>(), *to})
         : propose(cmd_lock_release{id, *session, owner, token->get<std::uint64_t>()});
  if (!released)
    return error_reply(released.error());
  const auto& r = std::get<res_released>(*released);
  return json_reply(200, {{"id", id},
                          {"released", r.remaining == 0},
                          {"remaining", r.remaining},
                          {"passed_on", r.passed_on}});
}

reply router::lock_status(const std::string& id) {
  auto lock = read_lock(id);
  if (!lock)
    return error_reply(lock.error());
  return json_reply(200, lock_json(id, *lock));
}

reply router::election_status(const std::string& name) {
  auto lock = read_lock("election/" + name);
  if (!lock)
    return error_reply(lock.error());
  json out{{"election", name}, {"leader", nullptr}, {"token", 0}};
  if (lock->held) {
    out["leader"] = lock->owner;
    out["token"] = lock->token;
  }
  json candidates = json::array();
  for (const auto& w : lock->waiters)
    candidates.push_back(w.owner);
  out["waiting"] = std::move(candidates);
  out["proclaimed"] = nullptr;
  try {
    if (auto said = context_.observe_election(manual_id(name)).proclaimed()) {
      json proclaimed{{"candidate", said->candidate}, {"token", said->token}};
      put_bytes(proclaimed, "value", said->value);
      out["proclaimed"] = std::move(proclaimed);
    }
  } catch (const error_exception& e) {
    return error_reply(e.error());
  }
  return json_reply(200, out);
}

// /v1/sessions[/{id}[/keepalive]], /v1/locks/{id}[/acquire|/release],
// /v1/elections/{name}[/campaign|/resign]; nullopt for any other path.
std::optional<answer> router::route_coordination(const request& req, std::string_view path,
                                                 bool on_worker) {
  struct family {
    std::string_view prefix;
    std::string route;
  };
  static const std::array<family, 3> families{{{"/v1/sessions", "/v1/sessions"},
                                               {"/v1/locks/", "/v1/locks/{id}"},
                                               {"/v1/elections/", "/v1/elections/{name}"}}};
  const family* matched = nullptr;
  for (const auto& f : families)
    if (path.starts_with(f.prefix))
      matched = &f;
  // "/v1/sessions" is a whole segment: "/v1/sessionsX" is no route of ours.
  if (matched == &families[0] && path.size() > matched->prefix.size() &&
      path[matched->prefix.size()] != '/')
    return std::nullopt;
  if (!matched)
    return std::nullopt;
  auto rest = path.substr(matched->prefix.size());
  std::string_view action;
  for (std::string_view suffix : {"/acquire", "/release", "/campaign", "/resign", "/keepalive"})
    if (rest.ends_with(suffix) && rest.size() > suffix.size()) {
      action = suffix.substr(1);
      rest.remove_suffix(suffix.size());
      break;
    }
  const auto& method = req.method;
  std::string route = matched->route + (action.empty() ? "" : "/" + std::string{action});
  auto answered = [&](reply out) -> std::optional<answer> {
    out.route = route;
    return out;
  };
  // Every route here waits on the member: on a worker only.
  auto waiting = [&](auto respond) -> std::optional<answer> {
    if (!on_worker)
      return on_a_worker{};
    return answered(respond());
  };
  bool sessions = matched->prefix == "/v1/sessions";
  bool reading = method == "GET";
  std::string allowed =
      action.empty() ? (sessions ? (rest.empty() ? "POST" : "DELETE") : "GET") : "POST";
  if (method != allowed)
    return answered(error_reply(405, "method_not_allowed",
                                method + " is not allowed here; allowed: " + allowed));
  if (auto no = denied(req, reading ? role::read : role::write))
    return answered(std::move(*no));
  if (sessions && rest.empty()) {
    auto parsed = json_object(req.body);
    if (auto* bad = std::get_if<reply>(&parsed))
      return answered(std::move(*bad));
    return waiting([&] { return open_session(std::get<json>(parsed)); });
  }
  if (sessions)
    rest.remove_prefix(1); // the '/' before the session's id
  auto decoded = percent_decoded(rest);
  if (!decoded)
    return answered(error_reply(400, "invalid_id", "the id is not percent-encoded correctly"));
  std::string id = std::move(*decoded);
  bool election = matched->prefix == "/v1/elections/";
  auto lock_id = election ? "election/" + id : id;
  if (auto ok = store::check_id(sessions ? id : lock_id, limits_,
                                sessions   ? "session id"
                                : election ? "election name"
                                           : "lock id");
      !ok)
    return answered(error_reply(ok.error()));
  if (sessions)
    return waiting(
        [&] { return action == "keepalive" ? keep_session_alive(id) : close_session(id); });
  if (reading)
    return waiting([&] { return election ? election_status(id) : lock_status(id); });
  auto parsed = json_object(req.body);
  if (auto* bad = std::get_if<reply>(&parsed))
    return answered(std::move(*bad));
  const auto& body = std::get<json>(parsed);
  const char* owner_field = election ? "candidate" : "owner";
  if ((election && action == "campaign") || (!election && action == "acquire"))
    return waiting([&] { return acquire_lock(lock_id, body, owner_field); });
  if ((election && action == "resign") || (!election && action == "release"))
    return waiting([&] { return release_lock(lock_id, body, owner_field); });
  return answered(error_reply(404, "not_found_route", "no route " + std::string{path}));
}

} // namespace dref::gateway
