#pragma once
// What a context shares with its handles: the backend actor, this client's
// retry identity (client id, sequence numbers) and the request timeout.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "dref/context.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "inbox.hpp"

namespace dref::detail {

struct value_cache;

// Owns a backend actor; the last owner stops it.
struct backend_handle {
  caf::actor actor;
  bool owned = true; // false: a remote member, never stopped from here
  // The backend answers every read, proposal and watch as it takes it (the
  // memory backend): such requests need no timeout.
  bool answers_at_once = false;
  // Reads and proposals blocking code can make in its own thread, without
  // a message (the memory backend's store behind its lock); empty for the
  // other backends.
  std::function<protocol::store_read_reply(const protocol::store_read&)> read_here;
  std::function<protocol::store_reply(protocol::store_proposal)> propose_here;
  ~backend_handle();
};

struct context_impl : std::enable_shared_from_this<context_impl> {
  context_impl(caf::actor_system& sys, std::shared_ptr<backend_handle> backend,
               context_options options);
  ~context_impl();

  caf::actor_system& sys;
  std::shared_ptr<backend_handle> backend;
  context_options options;
  std::uint64_t client_id;
  std::atomic<bool> stopped{false};

  // One command through the backend, blocking the calling thread.
  result<protocol::store_result> propose(protocol::store_command command, timeout_ms timeout);
  result<protocol::read_result> read(protocol::store_read request, timeout_ms timeout);

  std::mutex& update_mutex(const std::string& id);

  // A proposal of command under this client's next sequence number, for
  // proposals made outside propose() (requests from actors, ref actors);
  // finish_sequence(proposal.sequence) once it is answered.
  protocol::store_proposal numbered(protocol::store_command command);
  void finish_sequence(std::uint64_t sequence);

  // What every call through a shut-down context fails with.
  static error shut_down_error() { return error{errc::shutting_down, "the context was shut down"}; }

  // value_cache.cpp: the get_cached() copy of id, shared by its handles.
  std::shared_ptr<value_cache> cache_for(const std::string& id);

  // ref_actor.cpp: the actor that runs this context's updates of id from
  // actors, one at a time. Spawned on first use; stopped with the context.
  caf::actor ref_actor(const std::string& id);

  // session.cpp: the session behind locks and delays, opened on first use
  // and renewed by a keepalive actor every ttl/3.
  result<std::string> session();
  void close_session(bool release);

  // locks.cpp. wait: nullopt waits forever, zero never waits. nullopt
  // result: not acquired in time (try_lock semantics).
  result<std::optional<lock_guard>> acquire(const std::string& lock_id,
                                            std::optional<std::chrono::milliseconds> wait);

  // actor_requests.cpp: propose, read and watch from an actor; done runs
  // in self's context. A watch's on_event runs there too, for every event
  // of id committed after the watch is in place (when done gets the inbox),
  // until the inbox is closed.
  void async_propose(caf::scheduled_actor* self, protocol::store_command command,
                     timeout_ms timeout, std::function<void(result<protocol::store_result>)> done);
  void async_read(caf::scheduled_actor* self, protocol::store_read request, timeout_ms timeout,
                  std::function<void(result<protocol::read_result>)> done);
  void async_watch(caf::scheduled_actor* self, const std::string& id,
                   std::function<void(const protocol::store_event&)> on_event, timeout_ms timeout,
                   std::function<void(result<inbox>)> done);
  // session.cpp: session() from an actor.
  void async_session(caf::scheduled_actor* self, std::function<void(result<std::string>)> done);

  // delays.cpp: the store hands the body to every claim of this context's
  // session, so callers of one context take turns here: false when another
  // one runs id's body right now (wait for its completion instead).
  bool start_delay_run(const std::string& id);
  void end_delay_run(const std::string& id);

  // watch.cpp
  result<subscription> watch(const std::string& id,
                             std::function<void(const protocol::store_event&)> on_event,
                             timeout_ms timeout);

  std::chrono::milliseconds timeout_or_default(timeout_ms timeout) const;
  // The timeout of a request an actor sends the backend (or a ref actor):
  // the caller's own, else none when the backend answers at once. CAF's
  // timeout bookkeeping (a clock entry under a lock per request) halved the
  // gets/s of 64 actors; a request to a backend that is gone fails at once
  // without it.
  caf::duration backend_timeout(timeout_ms timeout) const;

  // The calling thread's blocking actor for requests: made once per thread
  // and context (a scoped_actor costs more than the request it makes),
  // dropped when the thread ends or the context goes. Hidden, so it never
  // holds up the actor system's shutdown.
  caf::scoped_actor& requester();
  void drop_requester(std::thread::id thread);

private:
  // Sequence bookkeeping: acked is the highest sequence below which every
  // answer arrived, so the store may drop those cached answers.
  std::mutex mutex_;
  std::uint64_t next_sequence_ = 0;
  std::set<std::uint64_t> in_flight_;
  std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> update_mutexes_;

  std::mutex session_mutex_;
  std::string session_id_;
  std::uint64_t session_generation_ = 0;
  caf::actor keepalive_;
  std::shared_ptr<std::atomic<bool>> session_alive_;

  std::pair<std::uint64_t, std::uint64_t> start_sequence();

  // session.cpp, under session_mutex_.
  std::string next_session_name();
  bool session_alive() const;
  void adopt_session(std::string name); // and renew it from now on
  protocol::cmd_session_open open_command(std::string name) const;

  std::mutex caches_mutex_;
  std::map<std::string, std::weak_ptr<value_cache>, std::less<>> caches_;
  std::size_t caches_swept_at_ = 64;

  std::mutex requesters_mutex_;
  std::map<std::thread::id, std::unique_ptr<caf::scoped_actor>> requesters_;

  std::mutex delay_runs_mutex_;
  std::set<std::string, std::less<>> delay_runs_;

  std::mutex ref_actors_mutex_;
  std::map<std::string, caf::actor, std::less<>> ref_actors_;
};

} // namespace dref::detail
