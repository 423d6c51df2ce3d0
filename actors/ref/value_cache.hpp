#pragma once
// A context's copy of one ref's value, for get_cached(): filled by a watch
// (installed on first use) and a read. Versions are log indices, so "newer"
// is simply "higher": the copy never goes backwards, whatever order the
// watch and the read arrive in. This context's own writes only raise a
// floor (no copy of the bytes on the write path): while the copy is below
// it, get_cached() reads instead of answering from a copy that does not
// yet show the caller's write.
//
// Updates start from the copy too (ref_core::base_for_update): a ref whose
// value is large gets one on its first update, so that a one-field change
// neither reads the whole value back nor, through a patch, sends it.

#include "dref/protocol/store_results.hpp"
#include "dref/subscription.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace dref::detail {

struct value_cache {
  // Offers what some source saw at `version`; nullopt: the id was removed.
  void offer(std::uint64_t version, std::optional<std::string> bytes);
  // Value events from the watch.
  void on_event(const protocol::store_event& e);
  // This context wrote `version`.
  void raise_floor(std::uint64_t version);
  // The copy serves from now on, starting from what a read made after the
  // watch was in place saw (none: the id was missing).
  void go_live(std::optional<std::pair<std::uint64_t, std::string>> read);
  // A write expecting `version` lost a race: the copy is behind until it
  // has a newer one.
  void mark_stale(std::uint64_t version);
  // The copy, when the watch runs and it is neither below the floor nor
  // known to be stale; waits up to `wait` for one when the copy held is of
  // at least wait_from_size bytes. nullopt: none (in time). An empty bytes
  // in the answer: the id is missing.
  struct copy {
    std::uint64_t version = 0;
    std::optional<std::string> bytes;
  };
  std::optional<copy> current(std::chrono::milliseconds wait, std::size_t wait_from_size);

  std::mutex mutex;
  std::uint64_t version = 0;
  std::optional<std::string> bytes; // nullopt: missing (or nothing seen yet)
  bool live = false;                // the watch runs and a read was merged
  std::uint64_t floor = 0;          // the newest version this context wrote
  std::uint64_t stale_at = 0;       // a version a write found outdated
  std::condition_variable changed;  // the copy moved on

  std::mutex fill_mutex; // one filler at a time
  subscription watch;
};

// The watch handler that keeps `cache` current while it lives.
std::function<void(const protocol::store_event&)> feed(std::weak_ptr<value_cache> cache);

// The copy an update or a set of a large value starts from (see
// ref_core::base_for_update): current(0), or with `wait` up to
// ref_core::copy_catch_up_wait; a copy of a large value still behind after
// that is dropped (its watch ended) and starts over from the next read.
std::optional<value_cache::copy> current_copy(value_cache& cache, bool wait);

} // namespace dref::detail
