#pragma once
// The untyped half of dref::ref<T>: bytes in and out of the backend. Kept
// out of the template so that CAF stays out of user headers and the
// request code is compiled once.

#include "dref/change.hpp"
#include "dref/protocol/result.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/subscription.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace caf {
class scheduled_actor;
}

namespace dref::detail {

struct context_impl;
struct value_cache;

// One attempt of an update from an actor: the next bytes for the current
// ones, nullopt to leave the value as it is, or an error to stop.
using byte_update = std::function<result<std::optional<std::string>>(const std::string&)>;

struct byte_update_outcome {
  std::string old_bytes;
  std::string new_bytes;
  std::uint64_t version = 0; // of new_bytes
  bool written = false;      // false: the update left the value as it was
};

// errc::retries_exhausted after `attempts` lost races on ref id.
error retries_exhausted(const std::string& id, int attempts);

using timeout_ms = std::optional<std::chrono::milliseconds>;

// write alone, or under fence (protocol::cmd_fenced) when one is given.
template <class Write>
protocol::store_command guarded(Write write, const protocol::write_fence* fence) {
  if (fence == nullptr)
    return write;
  return protocol::cmd_fenced{*fence, std::move(write)};
}

// A fence with no lock (made from a guard that holds nothing): not_holder,
// before anything is sent.
result<void> check_fence(const protocol::write_fence* fence);

class ref_core {
public:
  ref_core(std::shared_ptr<context_impl> ctx, std::string id);

  const std::string& id() const noexcept { return id_; }

  result<protocol::value_state> read(timeout_ms timeout = {}) const;
  // This context's copy (see ref<T>::get_cached); only value and version
  // are filled in.
  result<protocol::value_state> cached(timeout_ms timeout = {}) const;
  // What an update starts from: this context's copy when it keeps one and
  // it is current as far as this context knows (its own writes included),
  // else a read; a read of a value of at least copy_min_size bytes starts
  // the copy (value_cache.hpp). Its version is checked by the write.
  result<protocol::value_state> base_for_update(timeout_ms timeout = {}) const;
  static constexpr std::size_t copy_min_size = 4096;
  // How long an update waits for the copy to show a change it knows of
  // (its own last write, or the one its write lost to) before reading.
  static constexpr std::chrono::milliseconds copy_catch_up_wait{250};
  result<protocol::res_created> create(std::string bytes, protocol::metadata_map metadata,
                                       timeout_ms timeout = {}) const;
  // The writes take a fence (may be null): see ref<T>'s fenced writes.
  result<std::uint64_t> set(std::string bytes, timeout_ms timeout = {},
                            const protocol::write_fence* fence = nullptr) const;
  // Writes bytes if the value is still at expected_version. When old_bytes
  // is given and the delta against it is smaller, ships a patch instead.
  result<std::uint64_t> cas(std::uint64_t expected_version, const std::string* old_bytes,
                            std::string bytes, timeout_ms timeout = {},
                            const protocol::write_fence* fence = nullptr) const;
  result<protocol::res_removed> remove(timeout_ms timeout = {},
                                       const protocol::write_fence* fence = nullptr) const;
  result<protocol::res_ran> run(std::string command, std::string args,
                                timeout_ms timeout = {}) const;
  // The named query `name` of the value (read_kind::query): linearizable,
  // or stale (store_read::stale).
  result<protocol::query_answer> query(std::string name, std::string args, bool stale,
                                       timeout_ms timeout = {}) const;
  result<std::uint64_t> set_metadata(protocol::metadata_map metadata,
                                     timeout_ms timeout = {}) const;
  // protocol::cmd_set_owned under this context's session, or with a ttl
  // under a session of its own that nobody renews (owned_writes.cpp).
  result<protocol::res_created> set_owned(std::string bytes, bool if_absent,
                                          std::optional<std::chrono::milliseconds> ttl,
                                          timeout_ms timeout = {}) const;

  // Updates of one ref through one context take turns: local writers then
  // never race each other, only writers on other nodes (the way the ref
  // actor of a node serializes its callers' updates).
  std::unique_lock<std::mutex> local_update_turn() const;

  // f(change) for every change of the value from now on (created, written,
  // removed, metadata), in version order, on a CAF worker thread (one at a
  // time). Returns once the backend confirmed the watch, so no later change
  // is missed. A catch-up (the backend dropped events this watch missed, see
  // docs/redis.md) becomes one change_kind::caught_up from the last value
  // this watch saw to the current one, or a removal: the changes in between
  // are gone.
  using change_handler = std::function<void(const byte_change&)>;
  result<subscription> watch_values(change_handler f, timeout_ms timeout = {}) const;

  // From an actor (ref_async.cpp): done runs in self's context.
  void async_read(caf::scheduled_actor* self, timeout_ms timeout,
                  std::function<void(result<protocol::value_state>)> done) const;
  void async_set(caf::scheduled_actor* self, std::string bytes, timeout_ms timeout,
                 std::function<void(result<std::uint64_t>)> done,
                 std::optional<protocol::write_fence> fence = {}) const;
  void async_create(caf::scheduled_actor* self, std::string bytes, protocol::metadata_map metadata,
                    timeout_ms timeout,
                    std::function<void(result<protocol::res_created>)> done) const;
  void async_remove(caf::scheduled_actor* self, timeout_ms timeout,
                    std::function<void(result<protocol::res_removed>)> done,
                    std::optional<protocol::write_fence> fence = {}) const;
  void async_set_owned(caf::scheduled_actor* self, std::string bytes, bool if_absent,
                       std::optional<std::chrono::milliseconds> ttl, timeout_ms timeout,
                       std::function<void(result<protocol::res_created>)> done) const;
  void async_run(caf::scheduled_actor* self, std::string command, std::string args,
                 timeout_ms timeout, std::function<void(result<protocol::res_ran>)> done) const;
  void async_query(caf::scheduled_actor* self, std::string name, std::string args, bool stale,
                   timeout_ms timeout,
                   std::function<void(result<protocol::query_answer>)> done) const;
  void async_watch_values(caf::scheduled_actor* self, change_handler f, timeout_ms timeout,
                          std::function<void(result<subscription>)> done) const;
  // A fenced update commits under fence; updates queued with another fence
  // (or none) go in other rounds.
  void async_update(caf::scheduled_actor* self, byte_update attempt, timeout_ms timeout,
                    std::function<void(result<byte_update_outcome>)> done,
                    std::optional<protocol::write_fence> fence = {}) const;

  int max_update_attempts() const noexcept;
  // Sleeps a jittered, growing pause before retry number `attempt`.
  void backoff(int attempt) const;

private:
  result<void> start_watch(timeout_ms timeout) const;
  result<std::uint64_t> propose_cas(std::uint64_t expected_version, const std::string* old_bytes,
                                    const std::string& bytes, timeout_ms timeout,
                                    const protocol::write_fence* fence) const;

  std::shared_ptr<context_impl> ctx_;
  std::string id_;
  std::shared_ptr<value_cache> cache_;
};

} // namespace dref::detail
