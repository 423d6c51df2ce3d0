#include "storage_writer.hpp"

#include <span>

namespace dref::raft::node {

storage_writer::storage_writer(storage::dir_lock lock, storage::raft_storage storage,
                               std::function<void()> wake)
    : lock_(std::move(lock))
    , storage_(std::move(storage))
    , wake_(std::move(wake))
    , thread_([this] { run(); }) {}

storage_writer::~storage_writer() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
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
  for (;;) {
    std::vector<job> batch;
    {
      std::unique_lock guard{mutex_};
      changed_.wait(guard, [this] { return stopping_ || !queued_.empty(); });
      if (stopping_)
        return;
      batch.assign(std::make_move_iterator(queued_.begin()),
                   std::make_move_iterator(queued_.end()));
      queued_.clear();
    }
    std::vector<completed> done;
    write(batch, done);
    bool wake = false;
    {
      std::lock_guard guard{mutex_};
      for (auto& c : done)
        completed_.push_back(std::move(c));
      wake = std::exchange(wake_due_, false);
    }
    changed_.notify_all();
    if (wake && wake_)
      wake_();
  }
}

void storage_writer::write(std::vector<job>& batch, std::vector<completed>& out) {
  // Once a write failed, what reached the disk is unknown: nothing after it
  // is attempted.
  auto attempt = [this](auto&& write_it) -> result<void> {
    if (failed_)
      return error{errc::io_failed, "an earlier write to the log failed"};
    auto outcome = write_it();
    failed_ = !outcome;
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
    if (!j.compact) {
      rounds.push_back(std::move(j.round));
      continue;
    }
    flush_rounds();
    started = std::chrono::steady_clock::now();
    auto outcome = attempt(
        [&] { return storage_.compact(j.compact->snapshot, j.compact->hard, j.compact->tail); });
    out.push_back(completed{{}, true, outcome, std::chrono::steady_clock::now() - started});
    started = std::chrono::steady_clock::now();
  }
  flush_rounds();
}

} // namespace dref::raft::node
