// GET, PUT, DELETE /v1/refs/{id}, POST /v1/refs/{id}/add, /run and /query,
// GET /v1/refs and POST /v1/txn (docs/http.md).
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/i64_codec.hpp"
#include "dref/store/input_checks.hpp"
#include "router.hpp"
#include "value_json.hpp"

#include <caf/scoped_actor.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

namespace dref::gateway {

namespace {

using nlohmann::json;

using store::i64_codec;

std::string etag(std::uint64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

// owner: the session owning the value (protocol::cmd_set_owned); shown
// only when there is one.
reply value_reply(const std::string& id, const protocol::value_state& state) {
  json body{{"id", id}, {"version", state.version}};
  put_bytes(body, "value", state.value);
  if (!state.owner.empty())
    body["owner"] = state.owner;
  auto out = json_reply(200, body);
  out.headers.emplace_back("ETag", etag(state.version));
  return out;
}

// The member's answer as the alternative Kind of its result (a read's or a
// command's), or the error: the store's refusal, or errc::internal when
// it answered with another kind.
template <class Kind, class Result>
result<Kind> answer_of(result<Result> got) {
  if (!got)
    return std::move(got).error();
  if (auto* kind = std::get_if<Kind>(&*got))
    return std::move(*kind);
  return error{errc::internal, "the member answered with another kind"};
}

json written_json(const std::string& id, std::uint64_t version) {
  return {{"id", id}, {"version", version}};
}

// If-Match: a version, bare or quoted as the ETag of a GET gives it.
std::optional<std::uint64_t> version_in(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  return whole_number(text);
}

} // namespace

template <class State>
result<State> router::read_state(const protocol::store_read& read, bool local) {
  caf::scoped_actor self{sys_, true};
  result<State> out = error{errc::internal, "no answer"};
  auto take = [&](protocol::store_read_reply& reply) {
    if (reply.error)
      out = std::move(*reply.error);
    else if (auto* state = std::get_if<State>(&reply.value))
      out = std::move(*state);
    else
      out = error{errc::internal, "a store read answered with another kind"};
  };
  auto failed = [&](caf::error& err) { out = from_caf_error(err); };
  if (local)
    self->request(node_, request_timeout_, protocol::read_atom::value, protocol::local_atom::value,
                  read)
        .receive(take, failed);
  else
    self->request(node_, request_timeout_, protocol::read_atom::value, read).receive(take, failed);
  return out;
}

template result<protocol::value_state> router::read_state(const protocol::store_read&, bool);
template result<protocol::lock_state> router::read_state(const protocol::store_read&, bool);

answer router::get_ref(const std::string& id, bool stale) {
  return read_question{
      {protocol::read_kind::value, id, 0, 0}, stale, [id](result<protocol::read_result> got) {
        auto state = answer_of<protocol::value_state>(std::move(got));
        if (!state)
          return error_reply(state.error());
        return value_reply(id, *state);
      }};
}

// PUT with "session" (an HTTP session, POST /v1/sessions) or "ttl_ms": a
// value owned by that session, or one that goes once ttl_ms have passed.
reply router::put_owned_ref(const std::string& id, const std::string& bytes, const json& body) {
  auto session = body.find("session");
  auto ttl = body.find("ttl_ms");
  if (session != body.end() && ttl != body.end())
    return error_reply(400, "invalid_argument", "give \"session\" or \"ttl_ms\", not both");
  if (ttl != body.end()) {
    if (!ttl->is_number_unsigned())
      return error_reply(400, "invalid_argument", "\"ttl_ms\" is not a whole number");
    auto ref = context_.existing<std::string, raw_codec>(manual_id(id));
    auto written =
        ref.try_set_with_ttl(bytes, std::chrono::milliseconds{ttl->get<std::uint64_t>()});
    if (!written)
      return error_reply(written.error());
    return json_reply(200, written_json(id, *written));
  }
  if (!session->is_string())
    return error_reply(400, "invalid_argument", "\"session\" is not a string");
  auto written = propose(protocol::cmd_set_owned{id, bytes, session->get<std::string>(), false});
  if (!written)
    return error_reply(written.error());
  auto version = std::get<protocol::res_created>(*written).version;
  return json_reply(200, written_json(id, version));
}

answer router::put_ref(const std::string& id, const json& body, const std::string& if_match,
                       bool on_worker) {
  auto value = bytes_in(body, "value");
  if (auto* bad = std::get_if<reply>(&value))
    return std::move(*bad);
  auto& bytes = std::get<std::string>(value);
  bool owned = body.contains("session") || body.contains("ttl_ms");
  if (owned && !if_match.empty())
    return error_reply(400, "invalid_argument",
                       "If-Match does not go with \"session\" or \"ttl_ms\"");
  if (owned || !if_match.empty()) {
    if (!on_worker)
      return on_a_worker{};
    return put_ref_waiting(id, bytes, body, if_match);
  }
  return write_question{protocol::cmd_set{id, std::move(bytes)},
                        [id](result<protocol::store_result> got) {
                          auto written = answer_of<protocol::res_written>(std::move(got));
                          if (!written)
                            return error_reply(written.error());
                          return json_reply(200, written_json(id, written->version));
                        }};
}

// PUT with If-Match, "session" or "ttl_ms" (put_ref has checked the body).
reply router::put_ref_waiting(const std::string& id, const std::string& bytes, const json& body,
                              const std::string& if_match) {
  if (if_match.empty())
    return put_owned_ref(id, bytes, body);
  auto ref = context_.existing<std::string, raw_codec>(manual_id(id));
  auto expected = version_in(if_match);
  if (!expected)
    return error_reply(400, "invalid_argument", "If-Match is not a version number");
  auto written = ref.try_set_at_version(*expected, bytes);
  if (written)
    return json_reply(200, written_json(id, *written));
  if (written.error().code != errc::version_conflict)
    return error_reply(written.error());
  json conflict{{"error", {{"code", "version_conflict"}, {"message", written.error().message}}}};
  if (auto current = ref.try_get_versioned())
    conflict["version"] = current->version;
  return json_reply(412, conflict);
}

answer router::add_to_ref(const std::string& id, const json& body) {
  auto delta = body.find("delta");
  if (delta == body.end() || !delta->is_number_integer() ||
      (delta->is_number_unsigned() &&
       delta->get<std::uint64_t>() >
           static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
    return error_reply(400, "invalid_argument", "\"delta\" (a 64-bit integer) is missing");
  return write_question{
      protocol::cmd_run{id, "add_i64", i64_codec::encode(delta->get<std::int64_t>())},
      [id](result<protocol::store_result> got) {
        auto ran = answer_of<protocol::res_ran>(std::move(got));
        if (!ran)
          return error_reply(ran.error());
        auto sum = i64_codec::decode(ran->value);
        if (!sum)
          return error_reply(sum.error());
        return json_reply(200, {{"id", id}, {"version", ran->version}, {"value", *sum}});
      }};
}

namespace {

struct named_call {
  std::string name;
  std::string arg;
};

// body[field] ("command" or "query"), a name, and body["arg"] in
// body["encoding"], the bytes in the command's codec (absent: the empty
// argument, no_arg); or the 400 that says what is wrong.
std::variant<named_call, reply> named_call_in(const json& body, const char* field) {
  auto name = body.find(field);
  if (name == body.end() || !name->is_string() || name->get<std::string>().empty())
    return error_reply(400, "invalid_argument",
                       "\"" + std::string{field} + "\" (a registered name) is missing");
  named_call out{name->get<std::string>(), {}};
  if (body.contains("arg")) {
    auto arg = bytes_in(body, "arg");
    if (auto* bad = std::get_if<reply>(&arg))
      return std::move(*bad);
    out.arg = std::get<std::string>(std::move(arg));
  }
  return out;
}

json answer_json(const std::string& id, std::uint64_t version, const std::string& answer) {
  json out{{"id", id}, {"version", version}};
  put_bytes(out, "answer", answer);
  return out;
}

} // namespace

// POST /v1/refs/{id}/run: a named command (docs/commands.md), run once in
// the replicas' apply path; argument and answer in the command's codec.
answer router::run_on_ref(const std::string& id, const json& body) {
  auto call = named_call_in(body, "command");
  if (auto* bad = std::get_if<reply>(&call))
    return std::move(*bad);
  auto& [name, arg] = std::get<named_call>(call);
  return write_question{protocol::cmd_run{id, std::move(name), std::move(arg)},
                        [id](result<protocol::store_result> got) {
                          auto ran = answer_of<protocol::res_ran>(std::move(got));
                          if (!ran)
                            return error_reply(ran.error());
                          return json_reply(200, answer_json(id, ran->version, ran->value));
                        }};
}

// POST /v1/refs/{id}/query: a named query, linearizable or ("stale": true)
// from this member's applied state.
answer router::query_ref(const std::string& id, const json& body) {
  auto call = named_call_in(body, "query");
  if (auto* bad = std::get_if<reply>(&call))
    return std::move(*bad);
  auto stale = body.find("stale");
  if (stale != body.end() && !stale->is_boolean())
    return error_reply(400, "invalid_argument", "\"stale\" is true or false");
  auto& [name, arg] = std::get<named_call>(call);
  read_question question;
  question.read = {protocol::read_kind::query, id, 0, 0};
  question.read.command = std::move(name);
  question.read.args = std::move(arg);
  question.read.stale = stale != body.end() && stale->get<bool>();
  question.answer = [id](result<protocol::read_result> got) {
    auto answered = answer_of<protocol::query_answer>(std::move(got));
    if (!answered)
      return error_reply(answered.error());
    return json_reply(200, answer_json(id, answered->version, answered->answer));
  };
  return question;
}

// DELETE /v1/refs/{id}: the value goes; watchers see a removal.
answer router::remove_ref(const std::string& id) {
  return write_question{protocol::cmd_remove{id}, [id](result<protocol::store_result> got) {
                          auto removed = answer_of<protocol::res_removed>(std::move(got));
                          if (!removed)
                            return error_reply(removed.error());
                          json out{{"id", id}, {"removed", removed->existed}};
                          if (removed->existed)
                            out["old_version"] = removed->old_version;
                          return json_reply(200, out);
                        }};
}

// GET /v1/refs?prefix=P&after=A&limit=N: one page of ids (context::list).
reply router::list_refs(std::optional<std::string_view> prefix,
                        std::optional<std::string_view> after,
                        std::optional<std::string_view> limit) {
  std::uint64_t page = 0;
  if (limit) {
    auto parsed = whole_number(*limit);
    if (!parsed || *parsed == 0 || *parsed > store::max_list_page)
      return error_reply(400, "invalid_argument",
                         "limit is a number from 1 to " + std::to_string(store::max_list_page));
    page = *parsed;
  }
  auto decoded_prefix = percent_decoded(prefix.value_or(""));
  auto decoded_after = percent_decoded(after.value_or(""));
  if (!decoded_prefix || !decoded_after)
    return error_reply(400, "invalid_id", "prefix or after is not percent-encoded correctly");
  auto listed = context_.try_list(*decoded_prefix, *decoded_after, page);
  if (!listed)
    return error_reply(listed.error());
  json ids = json::array();
  for (const auto& entry : listed->ids)
    ids.push_back({{"id", entry.id}, {"version", entry.version}});
  return json_reply(
      200, {{"revision", listed->revision}, {"more", listed->more}, {"ids", std::move(ids)}});
}

namespace {

// body[field]: an array (absent: empty), or why not.
std::variant<const json*, reply> array_in(const json& body, const char* field) {
  static const json empty = json::array();
  auto it = body.find(field);
  if (it == body.end())
    return &empty;
  if (!it->is_array())
    return error_reply(400, "invalid_argument", "\"" + std::string{field} + "\" is an array");
  return &*it;
}

std::variant<txn, reply> txn_in(const json& body) {
  auto compares = array_in(body, "compare");
  auto writes = array_in(body, "write");
  for (auto* bad : {std::get_if<reply>(&compares), std::get_if<reply>(&writes)})
    if (bad)
      return std::move(*bad);
  txn t;
  std::size_t at = 0;
  for (const auto& c : *std::get<const json*>(compares)) {
    auto where = "compare[" + std::to_string(at++) + "]";
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("version") ||
        !c["version"].is_number_unsigned())
      return error_reply(400, "invalid_argument",
                         where + " is not {\"id\": string, \"version\": number (0: absent)}");
    t.if_version(c["id"].get<std::string>(), c["version"].get<std::uint64_t>());
  }
  at = 0;
  for (const auto& w : *std::get<const json*>(writes)) {
    auto where = "write[" + std::to_string(at++) + "]";
    if (!w.is_object() || !w.contains("id") || !w["id"].is_string())
      return error_reply(400, "invalid_argument", where + " has no \"id\" (a string)");
    auto id = w["id"].get<std::string>();
    auto remove = w.find("remove");
    if (remove != w.end() && !remove->is_boolean())
      return error_reply(400, "invalid_argument", where + ": \"remove\" is true or false");
    if (remove != w.end() && remove->get<bool>()) {
      for (const char* field : {"value", "session", "ttl_ms"})
        if (w.contains(field))
          return error_reply(400, "invalid_argument",
                             where + " removes and has a \"" + std::string{field} + "\"");
      t.remove(id);
      continue;
    }
    if (!w.contains("value") || !w["value"].is_string())
      return error_reply(400, "invalid_argument",
                         where + " has no \"value\" (a string) and does not remove");
    auto value = bytes_in(w, "value");
    if (std::holds_alternative<reply>(value))
      return error_reply(400, "invalid_argument",
                         where + ": \"encoding\" is not \"text\" or \"base64\", or the value "
                                 "is not base64");
    auto& bytes = std::get<std::string>(value);
    auto session = w.find("session");
    auto ttl = w.find("ttl_ms");
    if (session != w.end() && ttl != w.end())
      return error_reply(400, "invalid_argument",
                         where + ": give \"session\" or \"ttl_ms\", not both");
    if (session != w.end() && !session->is_string())
      return error_reply(400, "invalid_argument", where + ": \"session\" is not a string");
    if (ttl != w.end() && !ttl->is_number_unsigned())
      return error_reply(400, "invalid_argument", where + ": \"ttl_ms\" is not a whole number");
    if (session != w.end())
      t.set_bytes_owned_by(id, std::move(bytes), session->get<std::string>());
    else if (ttl != w.end())
      t.set_bytes_with_ttl(id, std::move(bytes),
                           std::chrono::milliseconds{ttl->get<std::uint64_t>()});
    else
      t.set_bytes(id, std::move(bytes));
  }
  return t;
}

} // namespace

// POST /v1/txn: compares, then writes, atomically (the contract is above
// protocol::cmd_txn). A failed compare is 412 naming it.
reply router::commit_txn(const json& body) {
  auto parsed = txn_in(body);
  if (auto* bad = std::get_if<reply>(&parsed))
    return std::move(*bad);
  const auto& t = std::get<txn>(parsed);
  auto done = context_.try_commit(t);
  if (!done)
    return error_reply(done.error());
  if (done->committed)
    return json_reply(200, {{"committed", true}, {"version", done->version}});
  const auto& failed = t.command().compares[done->failed_compare];
  return json_reply(412, {{"committed", false},
                          {"failed",
                           {{"index", done->failed_compare},
                            {"id", failed.id},
                            {"expected_version", failed.version},
                            {"found_version", done->found_version}}}});
}

} // namespace dref::gateway
