#pragma once
// Values in JSON: bytes that are valid UTF-8 without NUL travel as text,
// anything else as base64, and every reply says which ("encoding").

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dref::gateway {

bool is_plain_text(std::string_view bytes) noexcept;
std::string base64_encode(std::string_view bytes);
// into[field] = bytes as text or base64, into["encoding"] says which.
void put_bytes(nlohmann::json& into, const char* field, std::string_view bytes);
// nullopt when text is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace dref::gateway
