#pragma once
// Fixed-width little-endian integers for the on-disk headers.

#include <cstdint>
#include <string>
#include <string_view>

namespace dref::raft::storage::detail {

inline void put_le(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

inline std::uint64_t get_le(std::string_view bytes, std::size_t at, int width) {
  std::uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<std::uint8_t>(bytes[at + static_cast<std::size_t>(i)]);
  return value;
}

} // namespace dref::raft::storage::detail
