#include "dref/store/limits.hpp"

#include <string>

namespace dref::store {
namespace {

bool allowed_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '@' || c == '-';
}

// Shows an offending id without flooding the message or the terminal.
std::string printable(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += hex[static_cast<unsigned char>(c) & 0xf];
    }
  }
  if (id.size() > 64)
    out += "...";
  return out;
}

} // namespace

result<void> check_id(std::string_view id, const limits& lim, std::string_view what) {
  if (id.empty())
    return error{errc::invalid_id, std::string{what} + " is empty"};
  if (id.size() > lim.max_id_length)
    return error{errc::invalid_id, std::string{what} + " '" + printable(id) + "' is " +
                                       std::to_string(id.size()) + " characters long; at most " +
                                       std::to_string(lim.max_id_length) + " are allowed"};
  for (std::size_t i = 0; i < id.size(); ++i)
    if (!allowed_id_char(id[i]))
      return error{errc::invalid_id, std::string{what} + " '" + printable(id) +
                                         "' has a forbidden character at position " +
                                         std::to_string(i) +
                                         "; allowed are A-Z a-z 0-9 and . _ : / @ -"};
  return {};
}

result<void> check_value_size(std::string_view id, std::size_t size, const limits& lim) {
  if (size > lim.max_value_bytes)
    return error{errc::value_too_large, "value for '" + printable(id) + "' has " +
                                            std::to_string(size) + " bytes; at most " +
                                            std::to_string(lim.max_value_bytes) +
                                            " are allowed (limits.max_value_bytes)"};
  return {};
}

std::vector<std::pair<std::string, std::uint64_t>> by_name(const limits& lim) {
  std::vector<std::pair<std::string, std::uint64_t>> out{
      {"limits.client_idle_ms", lim.client_idle_ms},
      {"limits.delta_min_bytes", lim.delta_min_bytes},
      {"limits.max_cached_reply_bytes", lim.max_cached_reply_bytes},
      {"limits.max_cached_reply_bytes_per_client", lim.max_cached_reply_bytes_per_client},
      {"limits.max_id_length", lim.max_id_length},
      {"limits.max_metadata_bytes", lim.max_metadata_bytes},
      {"limits.max_session_ttl_ms", lim.max_session_ttl_ms},
      {"limits.max_value_bytes", lim.max_value_bytes},
      {"limits.min_session_ttl_ms", lim.min_session_ttl_ms},
      {"limits.topic_max_bytes", lim.topic_max_bytes},
      {"limits.topic_max_messages", lim.topic_max_messages},
  };
  return out;
}

} // namespace dref::store
