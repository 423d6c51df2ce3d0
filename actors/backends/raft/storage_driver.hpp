#pragma once
// The member's data directory, locked for this process: makes each ready
// round of the Raft core durable (save: one fsync for everything the round
// holds, so proposals that came in together share it: group commit) and
// compacts the log once snapshot_every entries were applied since the last
// snapshot, up to what is both applied and durable. A storage failure is
// returned to the caller, which must stop the member: the log on disk and
// the one in memory no longer agree.

#include <cstdint>
#include <string>

#include "dref/protocol/result.hpp"
#include "dref/raft/core/node.hpp"
#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/raft_storage.hpp"

namespace dref::raft::node {

class storage_driver {
public:
  storage_driver(storage::dir_lock lock, storage::raft_storage storage, std::uint64_t snapshot_every);

  // Makes what ready round r holds durable.
  result<void> persist(const core::ready& r) { return storage_.save(r); }

  // The state machine was replaced by a snapshot up to index (from the
  // leader, or from disk at a restart).
  void installed(std::uint64_t index) { snapshot_index_ = index; }

  // The index of the newest snapshot.
  std::uint64_t snapshot_index() const { return snapshot_index_; }

  // Compacts raft's log when due, with the state machine at applied; state()
  // is the encoded state machine, taken only then. True when it compacted;
  // false when not due or not possible yet (nothing durable past the last
  // snapshot); an error when storage failed.
  template <class StateSnapshot>
  result<bool> maybe_compact(core::node& raft, std::uint64_t applied, StateSnapshot&& state) {
    auto index = compaction_index(raft, applied);
    if (index == 0)
      return false;
    return compact(raft, index, state());
  }

private:
  // Where a compaction would end now; 0: none due.
  std::uint64_t compaction_index(const core::node& raft, std::uint64_t applied) const;
  result<bool> compact(core::node& raft, std::uint64_t index, std::string data);

  storage::dir_lock lock_;
  storage::raft_storage storage_;
  std::uint64_t snapshot_every_;
  std::uint64_t snapshot_index_;
};

} // namespace dref::raft::node
