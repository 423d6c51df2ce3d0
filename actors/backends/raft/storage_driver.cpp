#include "storage_driver.hpp"

#include <algorithm>
#include <vector>

namespace dref::raft::node {

storage_driver::storage_driver(storage::dir_lock lock, storage::raft_storage storage,
                               std::uint64_t snapshot_every)
  : lock_(std::move(lock))
  , storage_(std::move(storage))
  , snapshot_every_(snapshot_every)
  , snapshot_index_(storage_.snapshot_index()) {}

std::uint64_t storage_driver::compaction_index(const core::node& raft,
                                               std::uint64_t applied) const {
  if (applied < snapshot_index_ + snapshot_every_)
    return 0;
  const auto& log = raft.log();
  // Only durable entries: the snapshot must not get ahead of the log on disk.
  auto index = std::min(applied, log.stable_index());
  return index <= log.snapshot_index() ? 0 : index;
}

result<bool> storage_driver::compact(core::node& raft, std::uint64_t index, std::string data) {
  if (auto compacted = raft.compact(index, std::move(data)); !compacted)
    return false; // e.g. not durable yet; try again later
  const auto& snap = raft.latest_snapshot();
  if (!snap)
    return false;
  const auto& log = raft.log();
  std::vector<core::entry> tail;
  for (auto i = index + 1; i <= log.stable_index(); ++i)
    tail.push_back(log.at(i));
  core::hard_state hard{raft.term(), raft.voted_for(), log.committed()};
  if (auto saved = storage_.compact(*snap, hard, tail); !saved)
    return std::move(saved).error();
  snapshot_index_ = index;
  return true;
}

} // namespace dref::raft::node
