#pragma once
// What a context shares with its handles: the backend actor, this client's
// retry identity (client id, sequence numbers) and the request timeout.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <mutex>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "dref/context.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"

namespace dref::detail {

// Owns a backend actor; the last owner stops it.
struct backend_handle {
  caf::actor actor;
  ~backend_handle();
};

struct context_impl {
  context_impl(caf::actor_system& sys, std::shared_ptr<backend_handle> backend,
               context_options options);

  caf::actor_system& sys;
  std::shared_ptr<backend_handle> backend;
  context_options options;
  std::uint64_t client_id;
  std::atomic<bool> stopped{false};

  // One command through the backend, blocking the calling thread.
  result<protocol::store_result> propose(protocol::store_command command, timeout_ms timeout);
  result<protocol::read_result> read(protocol::store_read request, timeout_ms timeout);

  std::mutex& update_mutex(const std::string& id);

private:
  // Sequence bookkeeping: acked is the highest sequence below which every
  // answer arrived, so the store may drop those cached answers.
  std::mutex mutex_;
  std::uint64_t next_sequence_ = 0;
  std::set<std::uint64_t> in_flight_;
  std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> update_mutexes_;

  std::pair<std::uint64_t, std::uint64_t> start_sequence();
  void finish_sequence(std::uint64_t sequence);
  std::chrono::milliseconds timeout_or_default(timeout_ms timeout) const;
};

} // namespace dref::detail
