#pragma once
// A context's copy of one ref's value, for get_cached(): filled by a watch
// (installed on first use) and a read, and by this context's own writes.
// Versions are log indices, so "newer" is simply "higher": the copy never
// goes backwards, whatever order the watch, the read and local writes
// arrive in.

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

  std::mutex mutex;
  std::uint64_t version = 0;
  std::optional<std::string> bytes; // nullopt: missing (or nothing seen yet)
  bool live = false;                // the watch runs and a read was merged

  std::mutex fill_mutex; // one filler at a time
  subscription watch;
};

} // namespace dref::detail
