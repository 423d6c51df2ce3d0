#include "exchange.hpp"

#include "value_json.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace dref::gateway {

reply json_reply(unsigned status, const nlohmann::json& body) {
  reply out;
  out.status = status;
  // Replace, not throw, on bytes that are not UTF-8 (ids and messages are
  // checked text, but an error message may quote client input).
  out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

reply error_reply(unsigned status, std::string_view code, std::string_view message) {
  return json_reply(status, {{"error", {{"code", code}, {"message", message}}}});
}

reply error_reply(const error& err) {
  return error_reply(http_status_of(err.code), to_string(err.code), err.message);
}

std::variant<nlohmann::json, reply> json_object(const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return error_reply(400, "bad_json", "the body is not valid JSON");
  if (!parsed.is_object())
    return error_reply(400, "bad_json", "the body is not a JSON object");
  return parsed;
}

unsigned http_status_of(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
    case errc::invalid_id:
    case errc::decode_failed:
    case errc::validation_failed:
    case errc::unknown_command:
    case errc::wrong_type:
    case errc::command_failed:
      return 400;
    case errc::not_holder:
    case errc::stale_token:
      return 403;
    case errc::not_found:
    case errc::unknown_session:
      return 404;
    case errc::session_expired:
      return 410;
    case errc::would_block:
    case errc::already_exists:
    case errc::membership_change_pending:
      return 409;
    case errc::version_conflict:
      return 412;
    case errc::compacted:
      return 410;
    case errc::value_too_large:
      return 413;
    case errc::limit_exceeded:
      return 429;
    case errc::not_leader:
    case errc::unavailable:
    case errc::shutting_down:
      return 503;
    case errc::timeout:
      return 504;
    default:
      return 500;
  }
}

std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned byte = 0;
    const char* digits = text.data() + i + 1;
    if (i + 2 >= text.size() || std::from_chars(digits, digits + 2, byte, 16).ptr != digits + 2)
      return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return number;
}

std::variant<std::string, reply> bytes_in(const nlohmann::json& body, const std::string& field) {
  auto value = body.find(field);
  if (value == body.end() || !value->is_string())
    return error_reply(400, "invalid_argument", "\"" + field + "\" (a string) is missing");
  std::string encoding = "text";
  if (auto e = body.find("encoding"); e != body.end()) {
    if (!e->is_string() || (*e != "text" && *e != "base64"))
      return error_reply(400, "invalid_argument", "\"encoding\" is \"text\" or \"base64\"");
    encoding = e->get<std::string>();
  }
  auto bytes = value->get<std::string>();
  if (encoding == "text")
    return bytes;
  auto decoded = base64_decode(bytes);
  if (!decoded)
    return error_reply(400, "invalid_argument", "\"" + field + "\" is not base64");
  return std::move(*decoded);
}

} // namespace dref::gateway
