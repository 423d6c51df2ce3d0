#pragma once
// The values of the built-in add_i64 command (named_commands.hpp) as a
// dref codec: ref<std::int64_t, i64_codec> reads and adds to a counter.

#include "dref/store/named_commands.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dref::store {

struct i64_codec {
  static std::string encode(const std::int64_t& value) { return encode_i64(value); }
  static result<std::int64_t> decode(std::string_view bytes) {
    return decode_i64(bytes, "the stored value");
  }
};

} // namespace dref::store
