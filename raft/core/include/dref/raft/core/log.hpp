#pragma once
// The node's view of its log: entries after the last snapshot (or from 1),
// how far they were handed to storage (in progress) and are durable
// (stable), how far they are committed, and how far the application has been
// handed them (applied). stable_index() <= in_progress_index() <=
// last_index(): entries above stable_index() are appended in memory but not
// yet acknowledged by storage; those above in_progress_index() were not even
// handed to it yet.

#include "dref/raft/core/types.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dref::raft::core {

// Encoded sizes, for keeping append messages under config::max_message_bytes:
// one entry inside a message, and the message around no entries.
std::size_t encoded_entry_bytes(const entry& e);
std::size_t encoded_append_overhead();

class raft_log {
public:
  raft_log() = default;
  // Rebuilds the view after a restart: everything passed in is durable.
  raft_log(std::uint64_t snapshot_index, std::uint64_t snapshot_term, std::vector<entry> entries,
           std::uint64_t commit);

  std::uint64_t first_index() const noexcept { return snapshot_index_ + 1; }
  std::uint64_t last_index() const noexcept { return snapshot_index_ + entries_.size(); }
  std::uint64_t last_term() const noexcept;
  std::uint64_t snapshot_index() const noexcept { return snapshot_index_; }
  std::uint64_t snapshot_term() const noexcept { return snapshot_term_; }
  std::uint64_t committed() const noexcept { return committed_; }
  std::uint64_t applied() const noexcept { return applied_; }
  std::uint64_t stable_index() const noexcept { return stable_index_; }
  std::uint64_t in_progress_index() const noexcept { return in_progress_; }

  // Term of the entry at index; nullopt when compacted away or beyond the end.
  std::optional<std::uint64_t> term(std::uint64_t index) const noexcept;
  bool matches(std::uint64_t index, std::uint64_t term) const noexcept;
  const entry& at(std::uint64_t index) const { return entries_[index - first_index()]; }

  // Raft §5.4.1: a candidate's log is at least as up to date as ours.
  bool is_up_to_date(std::uint64_t last_index, std::uint64_t last_term) const noexcept;

  // Leader side: appends fresh entries (indexes already assigned).
  void append(std::vector<entry> entries);
  // Follower side: applies an AppendEntries after its consistency check passed.
  // Skips entries already present, truncates at the first conflict. Returns
  // the index of the last entry of the message.
  std::uint64_t append_after(std::uint64_t prev_index, std::span<const entry> entries);

  // For a rejected append: the largest index <= index whose term is <= term,
  // so that the leader can skip every entry of a conflicting term at once.
  std::uint64_t find_conflict_hint(std::uint64_t index, std::uint64_t term) const noexcept;

  // Entries [from, to) whose append message encodes to at most max_bytes
  // (at least one entry, however large).
  std::vector<entry> slice(std::uint64_t from, std::uint64_t to, std::size_t max_bytes) const;

  void commit_to(std::uint64_t index) noexcept;
  // Storage acknowledged everything up to index of term term as durable;
  // ignored when that entry was replaced since (a newer write is on its way).
  void stable_to(std::uint64_t index, std::uint64_t term) noexcept;

  // Drops entries up to index (which must be applied) after a snapshot.
  void compact(std::uint64_t index);
  // Replaces the whole log with a snapshot received from the leader.
  void restore(std::uint64_t index, std::uint64_t term);

  // Entries not yet handed to storage; take_ hands them (in_progress moves).
  bool has_unpersisted() const noexcept { return in_progress_ < last_index(); }
  std::vector<entry> take_unpersisted();
  // Committed entries not yet handed to the application; take_ hands them
  // (applied moves: the application applies what it is handed at once).
  bool has_to_apply() const noexcept { return applied_ < committed_; }
  std::vector<entry> take_to_apply();

private:
  std::uint64_t snapshot_index_ = 0;
  std::uint64_t snapshot_term_ = 0;
  std::vector<entry> entries_;
  std::uint64_t stable_index_ = 0;
  std::uint64_t in_progress_ = 0;
  std::uint64_t committed_ = 0;
  std::uint64_t applied_ = 0;
};

} // namespace dref::raft::core
