#pragma once
// The member's data directory as the node sees it: hands each ready round of
// the Raft core to the storage writer (storage_writer.hpp: its own thread,
// one fsync for the rounds that wait together: group commit), and compacts
// the log every snapshot_every applied entries, up to what is both applied
// and durable. Each member compacts at its own indexes (those where index +
// phase is a multiple of snapshot_every): members that compacted at the same
// index would all pause at once, and a commit needs a majority of them. The
// outcomes come back through take_completed(), in order; a failed one means
// the member must stop: the log on disk and the one in memory no longer
// agree.

#include "dref/raft/core/node.hpp"
#include "storage_writer.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dref::raft::node {

class storage_driver {
public:
  // phase: this member's offset of the compaction indexes (any number; a
  // hash of its name, so that members rarely coincide).
  storage_driver(storage::dir_lock lock, storage::raft_storage storage,
                 std::uint64_t snapshot_every, std::uint64_t phase = 0);

  // Starts the writer; wake is called on its thread when outcomes are ready
  // (storage_writer::wake). Call once, where the driver stays.
  void start(std::function<void()> wake);

  // Makes what ready round r holds durable, after the rounds before it.
  void persist(core::ready r) { writer_->persist(std::move(r)); }
  std::vector<storage_writer::completed> take_completed() { return writer_->take_completed(); }
  std::vector<storage_writer::completed> wait_all() { return writer_->wait_all(); }
  void hold_files_thread(bool held) { writer_->hold_files_thread(held); } // tests

  // The state machine was replaced by a snapshot up to index (from the
  // leader, or from disk at a restart).
  void installed(std::uint64_t index) { snapshot_index_ = index; }

  // The index of the newest snapshot.
  std::uint64_t snapshot_index() const { return snapshot_index_; }

  // Compacts raft's log when due, with the state machine at applied; state()
  // is the encoded state machine, taken only then. Raft's log in memory is
  // compacted at once, the one on disk after the rounds handed in before.
  // True when it compacted; false when not due or not possible yet (the
  // state machine is ahead of what is durable here).
  template <class StateSnapshot>
  bool maybe_compact(core::node& raft, std::uint64_t applied, StateSnapshot&& state) {
    if (!due(raft, applied))
      return false;
    return compact(raft, applied, state());
  }

private:
  bool due(const core::node& raft, std::uint64_t applied) const;
  bool compact(core::node& raft, std::uint64_t index, std::string data);

  storage::dir_lock lock_;
  storage::raft_storage storage_;
  std::uint64_t snapshot_every_;
  std::uint64_t phase_;
  std::uint64_t snapshot_index_;
  std::unique_ptr<storage_writer> writer_;
};

} // namespace dref::raft::node
