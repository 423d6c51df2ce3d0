#pragma once
// A context's copy of one ref's value, for get_cached(): filled by a watch
// (installed on first use) and a read. Versions are log indices, so "newer"
// is simply "higher": the copy never goes backwards, whatever order the
// watch and the read arrive in. This context's own writes only raise a
// floor (no copy of the bytes on the write path): while the copy is below
// it, get_cached() reads instead of answering from a copy that does not
// yet show the caller's write.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "dref/protocol/store_results.hpp"
#include "dref/subscription.hpp"

namespace dref::detail {

struct value_cache {
  // Offers what some source saw at `version`; nullopt: the id was removed.
  void offer(std::uint64_t version, std::optional<std::string> bytes);
  // Value events from the watch.
  void on_event(const protocol::store_event& e);
  // This context wrote `version`.
  void raise_floor(std::uint64_t version);

  std::mutex mutex;
  std::uint64_t version = 0;
  std::optional<std::string> bytes; // nullopt: missing (or nothing seen yet)
  bool live = false;                // the watch runs and a read was merged
  std::uint64_t floor = 0;          // the newest version this context wrote

  std::mutex fill_mutex; // one filler at a time
  subscription watch;
};

} // namespace dref::detail
