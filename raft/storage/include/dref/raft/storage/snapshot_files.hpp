#pragma once
// Snapshots of the state machine on disk, one file each:
// "snap-<index 16 hex>-<term 16 hex>.snap", written atomically (temp file,
// fsync, rename, fsync directory) so a crash leaves the old one or the new
// one, never half of one.
//   header "dRfS" | u8 format | 3 zero bytes | u64 index | u64 term |
//          u64 body length | u64 XXH3 of the body
//   body   the bytes the state machine gave

#include "dref/raft/storage/file.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::raft::storage {

struct snapshot_file {
  std::uint64_t index = 0; // last log index the snapshot covers
  std::uint64_t term = 0;  // term of that entry
  std::string body;
};

class snapshot_files {
public:
  explicit snapshot_files(std::string dir)
      : dir_(std::move(dir)) {}

  // True for "snap-<16 hex>-<16 hex>.snap" exactly.
  static bool is_snapshot_name(std::string_view name);

  result<void> save(const snapshot_file& snapshot) const;

  // The newest intact snapshot, if any. Damaged newer files are skipped and
  // described in `skipped` (the caller decides whether that is fatal).
  result<std::optional<snapshot_file>>
  load_latest(std::vector<std::string>* skipped = nullptr) const;

  // Keeps the `keep` newest snapshots and removes the rest.
  result<void> remove_all_but_newest(std::size_t keep) const;

  // Removes the temp files of saves a crash cut short ("<snapshot name>.tmp":
  // never renamed, so never a snapshot) and returns their names, sorted.
  // Only for the directory's owner, before it saves again: a save under way
  // writes such a file.
  result<std::vector<std::string>> remove_unfinished() const;

private:
  struct listed {
    std::uint64_t index;
    std::uint64_t term;
    std::string name;
  };
  result<std::vector<listed>> list() const; // newest first
  std::string dir_;
};

} // namespace dref::raft::storage
