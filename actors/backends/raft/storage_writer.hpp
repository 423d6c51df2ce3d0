#pragma once
// The member's data directory, written on a thread of its own, so that the
// node's event loop goes on (replicating, committing, applying, answering)
// while its rounds are made durable: raft/core's asynchronous storage (the
// persistence contract in raft/core/node.hpp).
//
// Rounds are written in the order they were handed in. Every persist job
// waiting when the thread comes round is written with one fsync (group
// commit across ready rounds). A compaction does not hold them up: a second
// thread writes its snapshot file while the rounds after it go on into the
// current segment; then the writer thread starts the fresh segment with the
// job's tail and every entry written since (raft_storage::compact_log), and
// the second thread deletes what that made redundant. So a compaction
// completes after rounds handed in later, but on disk it is as if it had
// run in its place. A snapshot installed meanwhile replaces the log: the
// compactions queued before it complete without touching the log. A failed
// job (or a failed deletion) fails every job after it without running it:
// what reached the disk is unknown, and the owner must stop the member.
// wake() is called on the writer thread when jobs completed and the owner
// has taken none of them since the last call; it must only post a message
// (the owner then calls take_completed() on its own thread).
//
// Why: on the same disk as the appends, a compaction's files took 10-20 ms
// (the snapshot file and the deleting most of it), and the members
// reach the same index together, so every member's appends stopped at once,
// about once a second under 10k puts/s.
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
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dref::raft::node {

// The log's snapshot and what still follows it (raft_storage::compact).
struct compaction {
  std::shared_ptr<const core::snapshot> snapshot; // raft/core's own: never copied
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
  // The jobs completed since the last call: rounds in the order handed in,
  // a compaction once its log part is done (see above).
  std::vector<completed> take_completed();
  // Blocks until every job handed in completed, then takes them (tests).
  std::vector<completed> wait_all();
  // Tests: while held, the files thread starts nothing (a compaction's
  // snapshot file stays unwritten), so that rounds can be handed in around it.
  void hold_files_thread(bool held);

private:
  struct job {
    core::ready round;
    std::optional<compaction> compact;
  };
  // A compaction whose snapshot file is being written (the first) or waits
  // for its turn; `since`: the entries of the rounds written after it.
  struct pending_compaction {
    std::shared_ptr<const core::snapshot> snapshot;
    std::vector<core::entry> tail;
    std::vector<core::entry> since;
    bool superseded = false; // an installed snapshot replaced the log
    std::chrono::steady_clock::time_point started;
  };
  void run();
  void write(std::vector<job>& batch, std::vector<completed>& out);
  void queue_compaction(compaction c);
  // Hands the compaction's snapshot file to the files thread.
  void start_file(const pending_compaction& p);
  // Waits until the files thread wrote the file it was given.
  void await_file();
  // Writer thread: the first pending compaction's snapshot file is written.
  void finish_compaction(result<void> file_written, std::vector<completed>& out);
  // Hands a file job to the files thread.
  void to_files_thread(std::function<void()> work);
  void run_files_thread();
  result<void> refused() const;

  storage::dir_lock lock_;
  storage::raft_storage storage_;
  std::function<void()> wake_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<job> queued_;
  std::vector<completed> completed_;
  std::size_t unfinished_ = 0; // handed in, not yet taken back
  bool wake_due_ = true;       // the owner took completions since the last wake
  bool stopping_ = false;
  // The files thread's outcomes, for the writer thread (under mutex_).
  std::optional<result<void>> file_written_;
  std::optional<error> cleanup_failed_;
  std::deque<std::function<void()>> file_jobs_; // for the files thread
  bool files_held_ = false;
  std::condition_variable file_jobs_changed_;
  // Writer thread only.
  std::optional<error> failure_; // the first failed write: every later job fails
  std::deque<pending_compaction> pending_;
  bool file_in_flight_ = false; // handed to the files thread, outcome not taken
  storage::snapshot_saver saver_;
  std::thread thread_; // last: started once everything above exists
  std::thread files_thread_;
};

} // namespace dref::raft::node
