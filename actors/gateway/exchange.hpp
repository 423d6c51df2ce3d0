#pragma once
// A request and its reply as the routes see them: no Beast here, so the
// routes compile without it and the server (server.cpp) is the only code
// that speaks HTTP on the wire.

#include "dref/protocol/error.hpp"

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dref::gateway {

struct request {
  std::string method; // "GET", "PUT", ...
  std::string target; // path and query, as sent
  std::string authorization;
  std::string if_match;
  std::string body;
};

struct reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // The route as counted in /metrics ("/v1/refs/{id}"); "unknown" for none.
  std::string route = "unknown";
};

// A JSON reply.
reply json_reply(unsigned status, const nlohmann::json& body);
// {"error": {"code", "message"}}: code is a dref error name or one of the
// gateway's own (not_found_route, method_not_allowed, unauthorized,
// forbidden, bad_json, body_too_large, header_too_large, too_many_connections).
reply error_reply(unsigned status, std::string_view code, std::string_view message);
// A dref error with the HTTP status its code maps to (docs/http.md).
reply error_reply(const error& err);
unsigned http_status_of(errc code) noexcept;
// A request body as a JSON object, or the 400 (bad_json) to answer.
std::variant<nlohmann::json, reply> json_object(const std::string& body);
// The bytes of body[field], a string in the body's "encoding" (text or
// base64, text by default), or the 400 that says what is wrong.
std::variant<std::string, reply> bytes_in(const nlohmann::json& body, const std::string& field);
// A path segment's %XX escapes decoded; nullopt when one is malformed.
std::optional<std::string> percent_decoded(std::string_view text);
// A whole decimal number and nothing else (a query value, a version).
std::optional<std::uint64_t> whole_number(std::string_view text);

} // namespace dref::gateway
