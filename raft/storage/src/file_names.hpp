#pragma once
// The fixed-width hex numbers in segment and snapshot file names. Parsing is
// strict (exactly 16 lowercase hex digits, as hex16 writes them): a name
// that merely resembles one ("0x...", "+...", upper case) is a stray file,
// never a segment or a snapshot, and never an exception.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace dref::raft::storage::detail {

inline std::string hex16(std::uint64_t number) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(number));
  return text;
}

inline std::optional<std::uint64_t> parse_hex16(std::string_view text) {
  if (text.size() != 16)
    return std::nullopt;
  std::uint64_t number = 0;
  for (char c : text) {
    std::uint64_t digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<std::uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<std::uint64_t>(c - 'a' + 10);
    else
      return std::nullopt;
    number = (number << 4) | digit;
  }
  return number;
}

} // namespace dref::raft::storage::detail
