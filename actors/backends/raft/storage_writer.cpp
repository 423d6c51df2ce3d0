#include "storage_writer.hpp"

#include <pthread.h>
#include <span>

namespace dref::raft::node {

storage_writer::storage_writer(storage::dir_lock lock, storage::raft_storage storage,
                               std::function<void()> wake)
    : lock_(std::move(lock))
    , storage_(std::move(storage))
    , wake_(std::move(wake))
    , saver_(storage_.saver())
    , thread_([this] { run(); })
    , files_thread_([this] { run_files_thread(); }) {}

storage_writer::~storage_writer() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  file_jobs_changed_.notify_all();
  thread_.join();
  files_thread_.join();
}

void storage_writer::persist(core::ready round) {
  {
    std::lock_guard guard{mutex_};
    queued_.push_back(job{std::move(round), std::nullopt});
    ++unfinished_;
  }
  changed_.notify_all();
}

void storage_writer::compact(compaction c) {
  {
    std::lock_guard guard{mutex_};
    queued_.push_back(job{{}, std::move(c)});
    ++unfinished_;
  }
  changed_.notify_all();
}

std::vector<storage_writer::completed> storage_writer::take_completed() {
  std::lock_guard guard{mutex_};
  wake_due_ = true;
  unfinished_ -= completed_.size();
  return std::exchange(completed_, {});
}

std::vector<storage_writer::completed> storage_writer::wait_all() {
  std::unique_lock guard{mutex_};
  changed_.wait(guard, [this] { return unfinished_ == completed_.size(); });
  wake_due_ = true;
  unfinished_ -= completed_.size();
  return std::exchange(completed_, {});
}

void storage_writer::run() {
  // Named for `top -H` and perf (else it has the name of the thread that
  // started it, often caf.multiplexer).
  pthread_setname_np(pthread_self(), "dref.wal");
  for (;;) {
    std::vector<job> batch;
    std::optional<result<void>> file_written;
    {
      std::unique_lock guard{mutex_};
      changed_.wait(guard, [this] {
        return stopping_ || !queued_.empty() || file_written_ || cleanup_failed_;
      });
      if (stopping_)
        return;
      batch.assign(std::make_move_iterator(queued_.begin()),
                   std::make_move_iterator(queued_.end()));
      queued_.clear();
      file_written = std::exchange(file_written_, std::nullopt);
      if (file_written)
        file_in_flight_ = false;
      if (auto cleanup = std::exchange(cleanup_failed_, std::nullopt); cleanup && !failure_)
        failure_ = std::move(*cleanup);
    }
    std::vector<completed> done;
    write(batch, done);
    // After the batch: its entries are in `since` and go into the fresh
    // segment as well.
    if (file_written)
      finish_compaction(std::move(*file_written), done);
    bool wake = false;
    {
      std::lock_guard guard{mutex_};
      for (auto& c : done)
        completed_.push_back(std::move(c));
      wake = !done.empty() && std::exchange(wake_due_, false);
    }
    changed_.notify_all();
    if (wake && wake_)
      wake_();
  }
}

result<void> storage_writer::refused() const {
  return error{failure_->code, "an earlier write to the log failed: " + failure_->message};
}

void storage_writer::write(std::vector<job>& batch, std::vector<completed>& out) {
  // Once a write failed, what reached the disk is unknown: nothing after it
  // is attempted.
  auto attempt = [this](auto&& write_it) -> result<void> {
    if (failure_)
      return refused();
    auto outcome = write_it();
    if (!outcome)
      failure_ = outcome.error();
    return outcome;
  };
  // Rounds since the last sync: written together, then synced once.
  std::vector<core::ready> rounds;
  auto started = std::chrono::steady_clock::now();
  auto flush_rounds = [&] {
    if (rounds.empty())
      return;
    auto outcome = attempt([&] { return storage_.save(std::span<const core::ready>{rounds}); });
    auto took = std::chrono::steady_clock::now() - started;
    for (auto& r : rounds)
      out.push_back(completed{std::move(r), false, outcome, took});
    rounds.clear();
  };
  for (auto& j : batch) {
    if (j.compact) {
      queue_compaction(std::move(*j.compact));
      continue;
    }
    if (j.round.snapshot_to_install && !pending_.empty()) {
      // Its file must not be written beside a compaction's (the same name
      // when the index is the same), and it replaces the whole log.
      await_file();
      for (auto& p : pending_)
        p.superseded = true;
    }
    for (auto& p : pending_)
      if (!p.superseded)
        p.since.insert(p.since.end(), j.round.entries.begin(), j.round.entries.end());
    rounds.push_back(std::move(j.round));
  }
  flush_rounds();
}

void storage_writer::queue_compaction(compaction c) {
  pending_.push_back(pending_compaction{
      std::move(c.snapshot), std::move(c.tail), {}, false, std::chrono::steady_clock::now()});
  if (pending_.size() == 1)
    start_file(pending_.front());
  // Otherwise its file is written once the one before it is done.
}

void storage_writer::start_file(const pending_compaction& p) {
  file_in_flight_ = true;
  if (p.superseded || failure_) { // nothing to write: finished on the next turn
    {
      std::lock_guard guard{mutex_};
      file_written_ = result<void>{};
    }
    changed_.notify_all();
    return;
  }
  to_files_thread([this, snapshot = p.snapshot] {
    auto written = saver_.save(*snapshot);
    {
      std::lock_guard guard{mutex_};
      file_written_ = std::move(written);
    }
    changed_.notify_all();
  });
}

void storage_writer::await_file() {
  if (!file_in_flight_)
    return; // taken this turn: finished after the batch
  std::unique_lock guard{mutex_};
  changed_.wait(guard, [this] { return stopping_ || file_written_.has_value(); });
}

void storage_writer::finish_compaction(result<void> file_written, std::vector<completed>& out) {
  auto p = std::move(pending_.front());
  pending_.pop_front();
  auto outcome = [&]() -> result<void> {
    if (failure_)
      return refused();
    if (!file_written) {
      failure_ = file_written.error();
      return file_written;
    }
    if (p.superseded)
      return {};
    auto tail = std::move(p.tail);
    tail.insert(tail.end(), std::make_move_iterator(p.since.begin()),
                std::make_move_iterator(p.since.end()));
    auto cleanup = storage_.compact_log(p.snapshot->metadata, storage_.written_hard(), tail);
    if (!cleanup) {
      failure_ = cleanup.error();
      return std::move(cleanup).error();
    }
    to_files_thread([this, cleanup = std::move(*cleanup)] {
      if (auto removed = cleanup.run(); !removed) {
        {
          std::lock_guard guard{mutex_};
          if (!cleanup_failed_)
            cleanup_failed_ = removed.error();
        }
        changed_.notify_all();
      }
    });
    return {};
  }();
  out.push_back(
      completed{{}, true, std::move(outcome), std::chrono::steady_clock::now() - p.started});
  if (!pending_.empty())
    start_file(pending_.front());
}

void storage_writer::hold_files_thread(bool held) {
  {
    std::lock_guard guard{mutex_};
    files_held_ = held;
  }
  file_jobs_changed_.notify_all();
}

void storage_writer::to_files_thread(std::function<void()> work) {
  {
    std::lock_guard guard{mutex_};
    file_jobs_.push_back(std::move(work));
  }
  file_jobs_changed_.notify_all();
}

void storage_writer::run_files_thread() {
  pthread_setname_np(pthread_self(), "dref.wal.files"); // see run()
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock guard{mutex_};
      // What was handed over is done, also when stopping (the writer thread
      // stopped first, so nothing more comes): segments left undeleted
      // would stay until a restart and the compaction after it.
      file_jobs_changed_.wait(
          guard, [this] { return stopping_ || (!file_jobs_.empty() && !files_held_); });
      if (file_jobs_.empty())
        return;
      work = std::move(file_jobs_.front());
      file_jobs_.pop_front();
    }
    work();
  }
}

} // namespace dref::raft::node
