#pragma once
// The store's limits. Part of the replicated configuration: every node must
// run with the same limits, or the same command could pass on one node and
// fail on another.

#include "dref/protocol/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dref::store {

struct limits {
  std::size_t max_id_length = 256;
  std::size_t max_value_bytes = 1 << 20;
  std::size_t max_metadata_bytes = 64 << 10; // keys plus values of one value's metadata
  std::uint64_t min_session_ttl_ms = 100;
  std::uint64_t max_session_ttl_ms = 24ull * 3600 * 1000;
  // Retention of a topic unless cmd_topic_configure sets less; also the
  // most it may set.
  std::uint64_t topic_max_messages = 10'000;
  std::uint64_t topic_max_bytes = 64ull << 20;
  // Change events of values at least this large carry a delta against the
  // old value instead of the whole new value, when the delta is smaller.
  std::size_t delta_min_bytes = 4096;
  // Retry answers cached for a client that sent nothing for this long are
  // dropped (a retry after that gets a clear error, not a second effect).
  std::uint64_t client_idle_ms = 15 * 60 * 1000;
  // Bytes of retry answers cached for one client, and for all clients
  // together (reply_cache.hpp says how they are counted and what goes
  // first). The per-client bound holds the largest value with room to spare.
  std::uint64_t max_cached_reply_bytes_per_client = 2ull << 20;
  std::uint64_t max_cached_reply_bytes = 64ull << 20;

  friend bool operator==(const limits&, const limits&) = default;
};

// Every limit by its configuration name ("limits.max_value_bytes", ...),
// sorted by name: what members compare when they connect.
std::vector<std::pair<std::string, std::uint64_t>> by_name(const limits& lim);

// Ids of values, sessions, owners, locks, topics, promises and delays:
// 1..max_id_length characters from [A-Za-z0-9._:/@-]. `what` names the kind
// of thing in the error ("ref id", "session").
result<void> check_id(std::string_view id, const limits& lim, std::string_view what);
result<void> check_value_size(std::string_view id, std::size_t size, const limits& lim);

} // namespace dref::store
