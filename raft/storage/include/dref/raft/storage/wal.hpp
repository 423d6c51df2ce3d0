#pragma once
// The write-ahead log: typed, checksummed records in numbered segment files.
// It knows nothing of Raft; the storage layer above gives record types their
// meaning (entries, hard state, snapshot markers).
//
// Durability contract: a record is durable once sync() has returned after
// it was appended. Callers batch many appends per sync (group commit) and
// acknowledge nothing before that sync returns.
//
// Recovery (etcd's rule): only a SHORT tail of the last segment is a torn
// write (the process died mid-append) and is cut off: a partial record
// header, or a record whose declared length runs past the end of the file.
// Zeros up to the end of any segment are space never written (preallocated,
// or extended by the file system; type 0 is reserved so that it is never a
// record): appends go on where the records end. In zeroed space a torn
// record can hold its whole declared length: a record that fails its check
// in the last segment is torn when one of its 512-byte sectors (file
// offsets) is zeros to the sector's end, as the part of a write that never
// reached the disk is, and no intact record starts inside it (a damaged
// length reaching over later records is corruption); it is cut off with
// everything after it, which a disk that kept the write's sectors out of
// order may have kept intact but never acknowledged. Any other record whose
// whole declared length is there but whose checksum (or header) is wrong was
// written in full and damaged since: that is corruption, and open() refuses
// to start with an error naming the file and the offset, rather than
// silently drop what may have been acknowledged. So is any damage before the
// last segment's end (but its zeros), and a short tail followed by a valid
// record.
//
// Files in the directory that are not segments (any other name, or not a
// regular file) are skipped and named in the replay report, never thrown
// on: the directory may be shared (raft_storage keeps its snapshots and lock
// there) and an operator's stray file must not stop a member.
//
// After a failed write or sync the log refuses every further append and
// sync: what reached the disk is unknown, so nothing after it may be
// acknowledged (the caller must stop; a restart recovers from the files).
//
// Segment file "wal-<16 hex digits>.log":
//   header  "dRfW" | u8 format | 3 zero bytes | u64 segment number
//   records u32 payload length | u8 type (never 0) | 3 zero bytes |
//           u64 XXH3 of the payload seeded with the type | payload
// Integers are little-endian.

#include "dref/raft/storage/file.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::raft::storage {

class wal {
public:
  // Fault injection for tests (configuration key failpoints.*); never set
  // in production.
  struct failpoints {
    // The n-th sync of a segment file since open() (1-based: fdatasync of
    // appended records, fsync of a new segment or of a cut tail) and every
    // later one fail with EIO, after the bytes were written. 0: off.
    std::uint64_t fail_sync_at = 0;
  };

  struct options {
    std::string dir;
    std::uint64_t segment_bytes = std::uint64_t{64} << 20;
    // Zeros written ahead of the records, this many bytes at a time (at most
    // up to segment_bytes): records then go into blocks the file already
    // has, so a sync changes no file metadata (on ext4, an fdatasync without
    // a journal commit). 0: off, the file ends where the records do.
    std::uint64_t preallocate_bytes = 0;
    failpoints faults = {};
  };

  struct replay_report {
    std::uint64_t records = 0;
    std::uint64_t segments = 0;
    // The torn write (and what followed it) cut off the end of the last
    // segment; the zeros after it are cut too, but not counted.
    std::uint64_t torn_bytes_truncated = 0;
    // Names in the directory that are not segments, sorted: skipped.
    std::vector<std::string> skipped_files;
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
  // The same in two steps, so that the deleting can happen on another
  // thread: forgets those segments and returns their paths, oldest first;
  // remove_files() deletes them in that order (a crash in between leaves
  // the newer ones, still a run of consecutive segments).
  std::vector<std::string> release_segments_before(std::uint64_t segment);
  static result<void> remove_files(const std::vector<std::string>& paths, const std::string& dir);

  std::uint64_t current_segment() const noexcept { return segment_; }
  std::vector<std::uint64_t> segments() const { return segments_; }
  std::size_t buffered_bytes() const noexcept { return buffer_.size(); }

private:
  wal(options opts)
      : opts_(std::move(opts)) {}
  result<void> start_segment(std::uint64_t number);
  // Writes zeros after the records, preallocate_bytes of them, when the
  // records reached the end of the file.
  result<void> preallocate(int fd, const std::string& path);
  std::string segment_path(std::uint64_t number) const;
  // fdatasync (data_only) or fsync of a segment file, through the failpoint.
  result<void> sync_segment(int fd, const std::string& path, bool data_only);
  // Remembers the first write or sync failure; every later call returns it.
  result<void> failed(error err);
  result<void> refuse_if_failed() const;

  options opts_;
  std::optional<error> failure_;
  std::uint64_t syncs_ = 0; // segment-file syncs since open (for the failpoint)
  file_descriptor file_;
  std::uint64_t segment_ = 0;
  std::uint64_t segment_size_ = 0; // bytes of records written plus the buffer
  std::uint64_t file_bytes_ = 0;   // the file's size: zeros from the records' end on
  std::vector<std::uint64_t> segments_;
  std::string buffer_;
};

} // namespace dref::raft::storage
