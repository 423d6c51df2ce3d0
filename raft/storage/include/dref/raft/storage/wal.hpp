#pragma once
// The write-ahead log: typed, checksummed records in numbered segment files.
// It knows nothing of Raft; the storage layer above gives record types their
// meaning (entries, hard state, snapshot markers).
//
// Durability contract: a record is durable once sync() has returned after
// it was appended. Callers batch many appends per sync (group commit) and
// acknowledge nothing before that sync returns.
//
// Recovery: a damaged record at the end of the last segment is a torn write
// (the process died mid-append) and is cut off; a damaged record anywhere
// else, or one followed by valid records, is corruption and open() refuses
// to start rather than silently drop acknowledged data.
//
// Segment file "wal-<16 hex digits>.log":
//   header  "dRfW" | u8 format | 3 zero bytes | u64 segment number
//   records u32 payload length | u8 type (never 0) | 3 zero bytes |
//           u64 XXH3 of the payload seeded with the type | payload
// Integers are little-endian.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dref/raft/storage/file.hpp"

namespace dref::raft::storage {

class wal {
public:
  struct options {
    std::string dir;
    std::uint64_t segment_bytes = std::uint64_t{64} << 20;
  };

  struct replay_report {
    std::uint64_t records = 0;
    std::uint64_t segments = 0;
    std::uint64_t torn_bytes_truncated = 0; // cut off the end of the last segment
  };

  // Called for every valid record, oldest first; an error stops the replay.
  using visitor = std::function<result<void>(std::uint8_t type, std::string_view payload)>;

  static constexpr std::size_t segment_header_size = 16;
  static constexpr std::size_t record_header_size = 16;
  static constexpr std::uint32_t max_record_bytes = std::uint32_t{1} << 30;

  // Creates `dir` if missing, replays every segment through `visit`, cuts a
  // torn tail, and opens the last segment for appending.
  static result<wal> open(const options& opts, const visitor& visit,
                          replay_report* report = nullptr);

  wal(wal&&) noexcept = default;
  wal& operator=(wal&&) noexcept = default;

  // Buffers a record; returns the number of the segment it lands in.
  // `type` 0 is reserved (zero-filled space is never a record).
  result<std::uint64_t> append(std::uint8_t type, std::string_view payload);

  // Writes every buffered record and waits until the disk has them.
  result<void> sync();
  // Writes every buffered record without waiting for the disk: a process
  // crash keeps them, a power loss may not.
  result<void> flush();

  // Ends the current segment (synced) and starts the next one.
  result<void> roll();

  // Deletes whole segments numbered below `segment` (after compaction).
  result<void> remove_segments_before(std::uint64_t segment);

  std::uint64_t current_segment() const noexcept { return segment_; }
  std::vector<std::uint64_t> segments() const { return segments_; }
  std::size_t buffered_bytes() const noexcept { return buffer_.size(); }

private:
  wal(options opts) : opts_(std::move(opts)) {}
  result<void> start_segment(std::uint64_t number);
  std::string segment_path(std::uint64_t number) const;

  options opts_;
  file_descriptor file_;
  std::uint64_t segment_ = 0;
  std::uint64_t segment_size_ = 0; // bytes in the file plus the buffer
  std::vector<std::uint64_t> segments_;
  std::string buffer_;
};

} // namespace dref::raft::storage
