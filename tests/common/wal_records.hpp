#pragma once
// Where a WAL segment's records end and the zeros the WAL writes ahead of
// them begin, read from the record headers (wal.hpp's format): for tests
// that write into a segment where a crash would, or keep only its records.

#include "dref/raft/storage/wal.hpp"

#include <cstddef>
#include <string_view>

namespace dref::test {

inline std::size_t wal_records_end(std::string_view segment) {
  using raft::storage::wal;
  std::size_t at = wal::segment_header_size;
  // A record's type is never 0, so a zero there is where the zeros begin.
  while (at + wal::record_header_size <= segment.size() && segment[at + 4] != 0) {
    std::size_t length = 0; // u32, little-endian
    for (std::size_t i = 4; i-- > 0;)
      length = (length << 8) | static_cast<unsigned char>(segment[at + i]);
    auto size = wal::record_header_size + length;
    if (size > segment.size() - at)
      break;
    at += size;
  }
  return at;
}

} // namespace dref::test
