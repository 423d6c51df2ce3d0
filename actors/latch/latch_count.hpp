#pragma once
// A latch's count as the stored add_i64 integer holds it: what a
// count-down adds, and the count to go it reads as (below zero: open, 0).

#include "dref/protocol/result.hpp"
#include "dref/store/named_commands.hpp"

#include <cstdint>
#include <string>

namespace dref::detail {

inline const std::string& count_down_delta() {
  static const std::string minus_one = store::encode_i64(-1);
  return minus_one;
}

inline std::int64_t count_to_go(std::int64_t stored) {
  return stored > 0 ? stored : 0;
}

inline result<std::int64_t> count_to_go(const std::string& stored_bytes) {
  auto stored = store::decode_i64(stored_bytes, "the latch's count");
  if (!stored)
    return std::move(stored).error();
  return count_to_go(*stored);
}

} // namespace dref::detail
