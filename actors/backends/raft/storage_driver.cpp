#include "storage_driver.hpp"

#include <algorithm>
#include <vector>

namespace dref::raft::node {

storage_driver::storage_driver(storage::dir_lock lock, storage::raft_storage storage,
                               std::uint64_t snapshot_every, std::uint64_t phase)
    : lock_(std::move(lock))
    , storage_(std::move(storage))
    , snapshot_every_(std::max<std::uint64_t>(1, snapshot_every))
    , phase_(phase % snapshot_every_)
    , snapshot_index_(storage_.snapshot_index()) {}

void storage_driver::start(std::function<void()> wake) {
  writer_ =
      std::make_unique<storage_writer>(std::move(lock_), std::move(storage_), std::move(wake));
}

bool storage_driver::due(const core::node& raft, std::uint64_t applied) const {
  // Due once applied reached the next compaction index after the snapshot.
  if ((applied + phase_) / snapshot_every_ <= (snapshot_index_ + phase_) / snapshot_every_)
    return false;
  // The snapshot is the state machine where it stands, so only when all of
  // that is durable here: the snapshot must not get ahead of the log on disk.
  const auto& log = raft.log();
  return applied <= log.stable_index() && applied > log.snapshot_index();
}

bool storage_driver::compact(core::node& raft, std::uint64_t index, std::string data) {
  if (auto compacted = raft.compact(index, std::move(data)); !compacted)
    return false;
  const auto& snap = raft.latest_snapshot();
  if (!snap)
    return false;
  const auto& log = raft.log();
  // Everything handed to the writer so far is written before this job, so
  // the new segment must hold it all again: the older ones are deleted.
  compaction job{snap, {}};
  for (auto i = index + 1; i <= log.in_progress_index(); ++i)
    job.tail.push_back(log.at(i));
  writer_->compact(std::move(job));
  snapshot_index_ = index;
  return true;
}

} // namespace dref::raft::node
