#pragma once
// Binary deltas between two encodings of a value: zstd with the old bytes as
// a raw prefix dictionary, so that unchanged runs anywhere in the value cost
// a few bytes of match references (a changed field in the middle of a large
// cereal layout ships as little more than the field).
//
// Format: "dD" | u8 format(1) | u8 reserved | u32 new size | u64 XXH3 of the
// base | zstd frame. The base hash makes a delta applied to the wrong base a
// clear error instead of a silently wrong value.

#include "dref/protocol/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace dref::store {

std::string encode_delta(std::string_view base, std::string_view target);

// Fails with errc::decode_failed on damage or a wrong base, and with
// errc::value_too_large when the result would exceed max_size (checked
// before anything is allocated).
result<std::string> apply_delta(std::string_view base, std::string_view delta,
                                std::size_t max_size);

} // namespace dref::store
