#pragma once
// The checks the configuration keys (keys.cpp) make of single values.

#include "keys.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dref::config::detail {

using problem = std::optional<std::string>;

inline std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(" \t");
  return std::string{text.substr(first, last - first + 1)};
}

inline bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// RFC 1123 host names: labels of letters, digits and '-', dot-separated.
inline bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > 253)
    return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (label == 0 || label > 63 || text[i - 1] == '-')
        return false;
      label = 0;
      continue;
    }
    char c = text[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c == '-' && label > 0) || c == '_';
    if (!ok)
      return false;
    ++label;
  }
  return true;
}

// Node and cluster ids travel in messages and file names: keep them plain.
inline bool is_plain_id(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

inline std::optional<std::int64_t> whole_decimal(std::string_view text) {
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return number;
}

template <class T>
problem integer_in(const raw_value& value, std::int64_t low, std::int64_t high, T& out) {
  auto number = std::get<std::int64_t>(value);
  if (number < low || number > high)
    return std::to_string(number) + " is out of range";
  out = static_cast<T>(number);
  return std::nullopt;
}

inline problem milliseconds_in(const raw_value& value, std::int64_t low, std::int64_t high,
                               std::chrono::milliseconds& out) {
  std::int64_t count = 0;
  if (auto bad = integer_in(value, low, high, count))
    return bad;
  out = std::chrono::milliseconds{count};
  return std::nullopt;
}

} // namespace dref::config::detail
