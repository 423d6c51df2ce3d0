#include "dref/raft/core/log.hpp"

#include "dref/protocol/codec.hpp"

#include <algorithm>
#include <cassert>

namespace dref::raft::core {

raft_log::raft_log(std::uint64_t snapshot_index, std::uint64_t snapshot_term,
                   std::vector<entry> entries, std::uint64_t commit)
    : snapshot_index_(snapshot_index)
    , snapshot_term_(snapshot_term)
    , entries_(std::move(entries)) {
  stable_index_ = last_index();
  in_progress_ = stable_index_;
  committed_ = std::clamp(commit, snapshot_index_, last_index());
  applied_ = snapshot_index_;
}

std::uint64_t raft_log::last_term() const noexcept {
  return entries_.empty() ? snapshot_term_ : entries_.back().term;
}

std::optional<std::uint64_t> raft_log::term(std::uint64_t index) const noexcept {
  if (index == snapshot_index_)
    return snapshot_term_;
  if (index < snapshot_index_ || index > last_index())
    return std::nullopt;
  return entries_[index - first_index()].term;
}

bool raft_log::matches(std::uint64_t index, std::uint64_t t) const noexcept {
  auto found = term(index);
  return found && *found == t;
}

bool raft_log::is_up_to_date(std::uint64_t index, std::uint64_t t) const noexcept {
  return t > last_term() || (t == last_term() && index >= last_index());
}

void raft_log::append(std::vector<entry> fresh) {
  for (auto& e : fresh) {
    assert(e.index == last_index() + 1);
    entries_.push_back(std::move(e));
  }
}

std::uint64_t raft_log::append_after(std::uint64_t prev_index, std::span<const entry> fresh) {
  std::uint64_t index = prev_index;
  for (const auto& e : fresh) {
    ++index;
    if (index <= snapshot_index_)
      continue; // already covered by our snapshot
    if (index <= last_index()) {
      if (at(index).term == e.term)
        continue;
      // Raft §5.3: a conflicting entry and everything after it go. A
      // committed entry never conflicts (leader completeness), so this
      // never cuts below committed_.
      assert(index > committed_);
      entries_.resize(index - first_index());
      stable_index_ = std::min(stable_index_, index - 1);
      in_progress_ = std::min(in_progress_, index - 1);
    }
    entries_.push_back(e);
  }
  return index;
}

std::uint64_t raft_log::find_conflict_hint(std::uint64_t index, std::uint64_t t) const noexcept {
  index = std::min(index, last_index());
  while (index > snapshot_index_) {
    if (at(index).term <= t)
      return index;
    --index;
  }
  return index;
}

std::size_t encoded_entry_bytes(const entry& e) {
  // Every field has a fixed width except data, which is a length prefix plus
  // its bytes, so an empty entry's encoding gives the fixed part once.
  static const std::size_t fixed = [] {
    std::string out;
    protocol::encode_body(entry{}, out);
    return out.size();
  }();
  return fixed + e.data.size();
}

std::size_t encoded_append_overhead() {
  static const std::size_t overhead =
      protocol::encode(message{1, 2, 3, protocol::raft_append_entries{}}).size();
  return overhead;
}

std::vector<entry> raft_log::slice(std::uint64_t from, std::uint64_t to,
                                   std::size_t max_bytes) const {
  std::vector<entry> out;
  std::size_t bytes = encoded_append_overhead();
  to = std::min(to, last_index() + 1);
  for (auto index = std::max(from, first_index()); index < to; ++index) {
    const auto& e = at(index);
    bytes += encoded_entry_bytes(e);
    if (!out.empty() && bytes > max_bytes)
      break;
    out.push_back(e);
  }
  return out;
}

void raft_log::commit_to(std::uint64_t index) noexcept {
  committed_ = std::max(committed_, std::min(index, last_index()));
}

void raft_log::stable_to(std::uint64_t index, std::uint64_t t) noexcept {
  // Only if the entry persisted is still the one in memory: a truncation in
  // between means a newer write for that index is on its way to storage.
  // Log matching makes the check enough: an entry of the same index and
  // term implies the same entries before it.
  if (matches(index, t) && index <= in_progress_)
    stable_index_ = std::max(stable_index_, index);
}

void raft_log::compact(std::uint64_t index) {
  if (index <= snapshot_index_ || index > std::min(applied_, stable_index_))
    return;
  auto t = *term(index);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = t;
}

void raft_log::restore(std::uint64_t index, std::uint64_t t) {
  entries_.clear();
  snapshot_index_ = index;
  snapshot_term_ = t;
  stable_index_ = index;
  in_progress_ = index;
  committed_ = index;
  applied_ = index;
}

std::vector<entry> raft_log::take_unpersisted() {
  std::vector<entry> out{entries_.begin() +
                             static_cast<std::ptrdiff_t>(in_progress_ - snapshot_index_),
                         entries_.end()};
  in_progress_ = last_index();
  return out;
}

std::vector<entry> raft_log::take_to_apply() {
  // Committed entries may be applied before they are durable here: a quorum
  // already has them durably.
  if (applied_ >= committed_)
    return {};
  std::vector<entry> out{entries_.begin() + static_cast<std::ptrdiff_t>(applied_ - snapshot_index_),
                         entries_.begin() +
                             static_cast<std::ptrdiff_t>(committed_ - snapshot_index_)};
  applied_ = committed_;
  return out;
}

} // namespace dref::raft::core
