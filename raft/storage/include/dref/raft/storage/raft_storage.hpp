#pragma once
// What a Raft node keeps on disk, on top of the WAL and the snapshot files:
// the hard state (term, vote, commit), the log entries and the newest
// snapshot of the state machine. It gives the WAL's record types their
// meaning and follows raft/core's persistence contract: save(ready) returns
// only when everything in it is durable (one fsync per call: group commit).
//
// WAL records:
//   1 entry       an encoded raft_log_entry; an entry whose index is at or
//                 below the last one replaces it and everything after it
//   2 hard state  an encoded raft_hard_state; the newest one wins
//   3 compacted   an encoded raft_snapshot_metadata: a snapshot file up to
//                 that index exists; entries up to it are dropped
//   4 installed   the same for a snapshot received from the leader, which
//                 replaces the whole log
//
// compact() writes the snapshot file, then starts a fresh WAL segment that
// holds everything still needed (snapshot record, hard state, the entries
// after the snapshot) and only then deletes the older segments, so a crash
// at any point leaves a complete copy. Its three steps can also be taken
// apart (snapshot_saver, compact_log, log_cleanup), so that the snapshot file
// and the deleting need not hold up the log's appends: a crash between them
// leaves a snapshot file the log does not name yet (opened as any snapshot:
// the entries it covers are dropped), or files that were due for deletion
// (replayed as before the compaction).

#include "dref/raft/core/node.hpp"
#include "dref/raft/storage/snapshot_files.hpp"
#include "dref/raft/storage/wal.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dref::raft::storage {

struct recovery_report {
  wal::replay_report log;
  std::vector<std::string> skipped_snapshots; // damaged newer snapshot files
  // Files in the data directory that are neither a WAL segment, a snapshot
  // nor the lock, sorted: skipped, for the caller to warn about.
  std::vector<std::string> stray_files;
  // Temp files of snapshot saves a crash cut short, removed (sorted).
  std::vector<std::string> unfinished_snapshots;
  std::uint64_t entries = 0;
};

// Writes snapshot files (temp file, fsync, rename): usable on a thread of
// its own while the raft_storage it came from goes on appending.
class snapshot_saver {
public:
  explicit snapshot_saver(std::string dir)
      : files_(std::move(dir)) {}
  result<void> save(const core::snapshot& snap) const;

private:
  snapshot_files files_;
};

// What a compaction leaves to delete: the segments it made redundant (oldest
// first) and the snapshot files older than the newest two. run() may be
// called on any thread, after compact_log() returned it.
struct log_cleanup {
  std::string dir;
  std::vector<std::string> segments;
  result<void> run() const;
};

class raft_storage {
public:
  // Opens (or creates) the log in dir and reads back what it holds. Real
  // corruption (a damaged record other than a short tail, a snapshot record
  // without its file) fails with errc::corrupt_data naming the file (and the
  // offset). The caller holds the directory's lock (dir_lock): opening
  // removes the temp files of unfinished snapshot saves. `faults` is for
  // tests only (wal::failpoints).
  static result<raft_storage> open(const std::string& dir, core::persisted_state& restored,
                                   recovery_report* report = nullptr,
                                   const wal::failpoints& faults = {});

  raft_storage(raft_storage&&) noexcept = default;
  raft_storage& operator=(raft_storage&&) noexcept = default;

  // Makes r.snapshot_to_install, r.hard and r.entries durable; a hard state
  // that moves only the commit index is written but not synced.
  result<void> save(const core::ready& r) { return save(std::span<const core::ready>{&r, 1}); }
  // The same for several rounds, in order, with one fsync for all of them.
  result<void> save(std::span<const core::ready> rounds);

  // The state machine's snapshot at snap.metadata.index (applied and
  // durable); hard and tail (the entries after it) are what the node still
  // holds, written again into the new segment.
  result<void> compact(const core::snapshot& snap, const core::hard_state& hard,
                       const std::vector<core::entry>& tail);
  // compact() without writing the snapshot file or deleting anything: a
  // snapshot file at `snapshot.index` must already be durable (saver()).
  // Starts the fresh segment and returns what is left to delete.
  result<log_cleanup> compact_log(const protocol::raft_snapshot_metadata& snapshot,
                                  const core::hard_state& hard,
                                  const std::vector<core::entry>& tail);
  snapshot_saver saver() const { return saver_; }
  // The newest hard state written to the log, synced or not: what a replay
  // of the log as it stands would restore.
  const core::hard_state& written_hard() const noexcept { return written_hard_; }

  std::uint64_t snapshot_index() const noexcept { return snapshot_index_; }

private:
  raft_storage(std::string dir, wal w)
      : dir_(std::move(dir))
      , wal_(std::move(w))
      , saver_(dir_) {}
  result<void> append_entry(const core::entry& e);
  // Writes r's records; needs_sync is set when they must be synced.
  result<void> write_round(const core::ready& r, core::hard_state& hard, bool& needs_sync);
  result<void> save_snapshot_file(const core::snapshot& snap);

  std::string dir_;
  wal wal_;
  snapshot_saver saver_;
  std::uint64_t snapshot_index_ = 0;
  core::hard_state durable_hard_; // the last one synced (term and vote count)
  core::hard_state written_hard_;
};

} // namespace dref::raft::storage
