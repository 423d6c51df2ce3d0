#include "dref/raft/storage/raft_storage.hpp"

#include "dref/protocol/codec.hpp"
#include "dref/raft/storage/dir_lock.hpp"
#include "little_endian.hpp"

#include <algorithm>

namespace dref::raft::storage {
namespace {

enum record : std::uint8_t {
  entry_record = 1,
  hard_record = 2,
  compacted_record = 3,
  installed_record = 4
};

// Snapshot file body: u32 length of the encoded metadata | metadata | data.
std::string snapshot_body(const core::snapshot& snap) {
  auto meta = protocol::encode(snap.metadata);
  std::string body;
  detail::put_le(body, meta.size(), 4);
  body += meta;
  body += snap.data;
  return body;
}

result<core::snapshot> parse_snapshot_body(const snapshot_file& file) {
  if (file.body.size() < 4)
    return error{errc::corrupt_data, "snapshot at index " + std::to_string(file.index) +
                                         " is too short to hold its metadata"};
  auto meta_size = detail::get_le(file.body, 0, 4);
  if (meta_size > file.body.size() - 4)
    return error{errc::corrupt_data, "snapshot at index " + std::to_string(file.index) +
                                         " has a metadata length past its end"};
  auto meta = protocol::decode<protocol::raft_snapshot_metadata>(
      std::string_view{file.body}.substr(4, meta_size));
  if (!meta)
    return std::move(meta).error();
  // The checksum covers the body, not the name and header the file was
  // chosen by; a body for another index would restore the wrong state.
  if (meta->index != file.index || meta->term != file.term)
    return error{errc::corrupt_data,
                 "snapshot file for index " + std::to_string(file.index) + " (term " +
                     std::to_string(file.term) + ") holds a snapshot of index " +
                     std::to_string(meta->index) + " (term " + std::to_string(meta->term) + ")"};
  return core::snapshot{std::move(*meta), file.body.substr(4 + meta_size)};
}

// Drops entries at or below index; a tail that no longer starts right after
// it cannot be used and goes too.
void drop_through(std::vector<core::entry>& entries, std::uint64_t index) {
  std::erase_if(entries, [&](const core::entry& e) { return e.index <= index; });
  if (!entries.empty() && entries.front().index != index + 1)
    entries.clear();
}

} // namespace

result<raft_storage> raft_storage::open(const std::string& dir, core::persisted_state& restored,
                                        recovery_report* report, const wal::failpoints& faults) {
  restored = {};
  snapshot_files snapshots{dir};
  auto unfinished = snapshots.remove_unfinished();
  if (!unfinished)
    return std::move(unfinished).error();
  std::vector<std::string> skipped;
  auto latest = snapshots.load_latest(&skipped);
  if (!latest)
    return std::move(latest).error();
  std::uint64_t file_index = 0;
  if (*latest) {
    auto snap = parse_snapshot_body(**latest);
    if (!snap)
      return std::move(snap).error();
    file_index = snap->metadata.index;
    restored.snapshot = snap->metadata;
    restored.snapshot_data = std::move(snap->data);
  }

  std::uint64_t marker_index = 0;
  auto& entries = restored.entries;
  auto visit = [&](std::uint8_t type, std::string_view payload) -> result<void> {
    switch (type) {
      case entry_record: {
        auto e = protocol::decode<core::entry>(payload);
        if (!e)
          return std::move(e).error();
        if (!entries.empty() && e->index <= entries.back().index)
          std::erase_if(entries, [&](const core::entry& old) { return old.index >= e->index; });
        if (!entries.empty() && e->index != entries.back().index + 1)
          return error{errc::corrupt_data, "log entry " + std::to_string(e->index) +
                                               " follows entry " +
                                               std::to_string(entries.back().index) + " in " + dir +
                                               ": the log has a gap"};
        entries.push_back(std::move(*e));
        return {};
      }
      case hard_record: {
        auto h = protocol::decode<core::hard_state>(payload);
        if (!h)
          return std::move(h).error();
        restored.hard = *h;
        return {};
      }
      case compacted_record:
      case installed_record: {
        auto meta = protocol::decode<protocol::raft_snapshot_metadata>(payload);
        if (!meta)
          return std::move(meta).error();
        if (type == installed_record)
          entries.clear();
        else
          drop_through(entries, meta->index);
        marker_index = std::max(marker_index, meta->index);
        return {};
      }
      default:
        return error{errc::corrupt_data,
                     "unknown record type " + std::to_string(type) + " in the log in " + dir};
    }
  };
  wal::replay_report wal_report;
  wal::options wal_options{dir};
  // Appends into zeroed blocks make each round's fdatasync a flush of data
  // alone: measured with three members on one ext4 disk, about 15% more
  // puts a second. 1 MiB at a time keeps each extension's sync short (a few
  // milliseconds here) on a log that starts a fresh segment at every
  // compaction.
  wal_options.preallocate_bytes = std::uint64_t{1} << 20;
  wal_options.faults = faults;
  auto opened = wal::open(wal_options, visit, &wal_report);
  if (!opened)
    return std::move(opened).error();
  if (marker_index > file_index)
    return error{errc::corrupt_data, "the log in " + dir + " was compacted up to index " +
                                         std::to_string(marker_index) +
                                         " but no intact snapshot file reaches that far" +
                                         (skipped.empty() ? "" : " (" + skipped.front() + ")")};
  drop_through(entries, file_index);
  if (report) {
    // The WAL skipped everything that is not a segment; the snapshots and
    // the lock live here too and are not stray.
    report->stray_files.clear();
    for (const auto& name : wal_report.skipped_files)
      if (!snapshot_files::is_snapshot_name(name) && name != dir_lock::file_name)
        report->stray_files.push_back(name);
    report->log = std::move(wal_report);
    report->skipped_snapshots = std::move(skipped);
    report->unfinished_snapshots = std::move(*unfinished);
    report->entries = entries.size();
  }
  raft_storage out{dir, std::move(*opened)};
  out.snapshot_index_ = file_index;
  out.durable_hard_ = restored.hard;
  out.written_hard_ = restored.hard;
  return out;
}

result<void> raft_storage::save_snapshot_file(const core::snapshot& snap) {
  if (auto saved = saver_.save(snap); !saved)
    return saved;
  snapshot_index_ = snap.metadata.index;
  return {};
}

result<void> raft_storage::append_entry(const core::entry& e) {
  auto appended = wal_.append(entry_record, protocol::encode(e));
  if (!appended)
    return std::move(appended).error();
  return {};
}

result<void> raft_storage::write_round(const core::ready& r, core::hard_state& hard,
                                       bool& needs_sync) {
  if (r.snapshot_to_install) {
    // The file first: the record that says it exists must never be durable
    // without it.
    if (auto saved = save_snapshot_file(*r.snapshot_to_install); !saved)
      return saved;
    auto appended =
        wal_.append(installed_record, protocol::encode(r.snapshot_to_install->metadata));
    if (!appended)
      return std::move(appended).error();
    needs_sync = true;
  }
  if (r.hard) {
    auto appended = wal_.append(hard_record, protocol::encode(*r.hard));
    if (!appended)
      return std::move(appended).error();
    // Term and vote must be durable before anyone hears of them; a commit
    // index need not (Raft learns it again from the leader), so a round
    // that only moves it costs a write, not an fsync: on a leader that
    // halves the fsyncs per committed batch.
    if (r.hard->term != hard.term || r.hard->voted_for != hard.voted_for)
      needs_sync = true;
    hard = *r.hard;
  }
  for (const auto& e : r.entries)
    if (auto appended = append_entry(e); !appended)
      return appended;
  needs_sync = needs_sync || !r.entries.empty();
  return {};
}

result<void> raft_storage::save(std::span<const core::ready> rounds) {
  auto hard = durable_hard_;
  bool needs_sync = false;
  for (const auto& r : rounds)
    if (auto written = write_round(r, hard, needs_sync); !written)
      return written;
  written_hard_ = hard;
  if (!needs_sync)
    return wal_.flush();
  if (auto synced = wal_.sync(); !synced)
    return synced;
  durable_hard_ = hard;
  return {};
}

result<void> raft_storage::compact(const core::snapshot& snap, const core::hard_state& hard,
                                   const std::vector<core::entry>& tail) {
  if (auto saved = saver_.save(snap); !saved)
    return saved;
  auto cleanup = compact_log(snap.metadata, hard, tail);
  if (!cleanup)
    return std::move(cleanup).error();
  return cleanup->run();
}

result<log_cleanup> raft_storage::compact_log(const protocol::raft_snapshot_metadata& snapshot,
                                              const core::hard_state& hard,
                                              const std::vector<core::entry>& tail) {
  snapshot_index_ = std::max(snapshot_index_, snapshot.index);
  if (auto rolled = wal_.roll(); !rolled)
    return std::move(rolled).error();
  auto first_kept = wal_.current_segment();
  auto marker = wal_.append(compacted_record, protocol::encode(snapshot));
  if (!marker)
    return std::move(marker).error();
  auto hard_saved = wal_.append(hard_record, protocol::encode(hard));
  if (!hard_saved)
    return std::move(hard_saved).error();
  for (const auto& e : tail)
    if (e.index > snapshot.index)
      if (auto appended = append_entry(e); !appended)
        return std::move(appended).error();
  if (auto synced = wal_.sync(); !synced)
    return std::move(synced).error();
  durable_hard_ = hard;
  written_hard_ = hard;
  return log_cleanup{dir_, wal_.release_segments_before(first_kept)};
}

result<void> snapshot_saver::save(const core::snapshot& snap) const {
  return files_.save(snapshot_file{snap.metadata.index, snap.metadata.term, snapshot_body(snap)});
}

result<void> log_cleanup::run() const {
  if (auto removed = wal::remove_files(segments, dir); !removed)
    return removed;
  return snapshot_files{dir}.remove_all_but_newest(2);
}

} // namespace dref::raft::storage
