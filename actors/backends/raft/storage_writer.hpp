#pragma once
// The member's data directory, written on a thread of its own, so that the
// node's event loop goes on (replicating, committing, applying, answering)
// while its rounds are made durable: raft/core's asynchronous storage (the
// persistence contract in raft/core/node.hpp).
//
// Jobs run in the order they were handed in. Every persist job waiting when
// the thread comes round is written with one fsync (group commit across
// ready rounds); a compaction first makes the rounds before it durable. A
// failed job fails every job after it without running it: what reached the
// disk is unknown, and the owner must stop the member. wake() is called on
// the writer thread when jobs completed and the owner has taken none of
// them since the last call; it must only post a message (the owner then
// calls take_completed() on its own thread).
//
// A plain thread rather than a detached CAF actor: those can keep
// ~actor_system waiting (CAF issues #1196, #1110), and the data directory's
// lock must be released when the member's state goes (the destructor joins).

#include "dref/protocol/result.hpp"
#include "dref/raft/core/node.hpp"
#include "dref/raft/storage/dir_lock.hpp"
#include "dref/raft/storage/raft_storage.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dref::raft::node {

// The log's snapshot and what still follows it (raft_storage::compact).
struct compaction {
  core::snapshot snapshot;
  core::hard_state hard;
  std::vector<core::entry> tail;
};

class storage_writer {
public:
  struct completed {
    core::ready round; // as handed in; empty for a compaction
    bool compaction = false;
    result<void> outcome;
    std::chrono::nanoseconds took{}; // the write and fsync that made it durable
  };

  storage_writer(storage::dir_lock lock, storage::raft_storage storage, std::function<void()> wake);
  // Finishes the batch in hand; what is still queued is dropped, not durable.
  ~storage_writer();
  storage_writer(const storage_writer&) = delete;
  storage_writer& operator=(const storage_writer&) = delete;

  void persist(core::ready round);
  void compact(compaction job);
  // The jobs completed since the last call, in the order handed in.
  std::vector<completed> take_completed();
  // Blocks until every job handed in completed, then takes them (tests).
  std::vector<completed> wait_all();

private:
  struct job {
    core::ready round;
    std::optional<compaction> compact;
  };
  void run();
  void write(std::vector<job>& batch, std::vector<completed>& out);

  storage::dir_lock lock_;
  storage::raft_storage storage_;
  std::function<void()> wake_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<job> queued_;
  std::vector<completed> completed_;
  std::size_t unfinished_ = 0; // handed in, not yet taken back
  bool wake_due_ = true;       // the owner took completions since the last wake
  bool failed_ = false;        // writer thread only
  bool stopping_ = false;
  std::thread thread_; // last: started once everything above exists
};

} // namespace dref::raft::node
