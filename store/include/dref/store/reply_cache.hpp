#pragma once
// The retry-answer cache's accounting, shared by the store and the redis
// backend's Lua copy of it (actors/backends/redis/lua/retries.lua), which
// must count the same bytes and evict in the same order.
//
// Bounds (limits.hpp names the configurable ones):
// - per client: at most max_cached_replies_per_client answers and
//   limits.max_cached_reply_bytes_per_client bytes; beyond either, the
//   client's oldest answers go (a retry of one is then refused, as one at
//   or below the acknowledged sequence).
// - in total: limits.max_cached_reply_bytes over every client, each client
//   counting client_entry_bytes besides its answers; beyond it, the caches
//   of the least recently seen clients (by last seen, then client id) go
//   first, leaving the client's acknowledged sequence at its newest dropped
//   answer; a client whose cache is already empty is forgotten entirely
//   (never the client just seen). A forgotten client (so also one idle
//   for limits.client_idle_ms) has no acked left: a retry of an answer
//   dropped before cannot be told from a new proposal and runs.
//
// An answer's size is an estimate both implementations compute alike:
// reply_entry_bytes plus the lengths of the strings the result carries
// (res_created, res_ran and res_delivered: value; res_delay: runner and
// value). An error counts reply_entry_bytes only: its message is bounded
// by the id limit, and its numbers (versions) differ between backends.

#include "dref/protocol/store_results.hpp"

#include <cstddef>
#include <cstdint>

namespace dref::store {

inline constexpr std::size_t max_cached_replies_per_client = 4096;
inline constexpr std::uint64_t reply_entry_bytes = 64;
inline constexpr std::uint64_t client_entry_bytes = 64;

std::uint64_t cached_reply_size(const protocol::store_reply& reply) noexcept;

} // namespace dref::store
