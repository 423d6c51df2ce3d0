#pragma once
// What a context shares with its handles: the backend, the options, this
// client's retry identity, and small parts that each own one slice of the
// state under a lock of its own (sequence numbers, the threads' requesters,
// the session, and what is kept per id: update locks, cached copies, ref
// actors, delay runs).

#include "backend_handle.hpp"
#include "dref/context.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/requests/request_deadlines.hpp"
#include "dref/subscription.hpp"
#include "inbox.hpp"
#include "requester_pool.hpp"
#include "sequence_numbers.hpp"
#include "session_deadline.hpp"

#include <atomic>
#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace dref::detail {

struct value_cache;

struct context_impl : std::enable_shared_from_this<context_impl> {
  context_impl(caf::actor_system& sys, std::shared_ptr<backend_handle> backend,
               context_options options);
  ~context_impl();

  caf::actor_system& sys;
  std::shared_ptr<backend_handle> backend;
  context_options options;
  sequence_numbers sequences;
  const std::uint64_t client_id = sequences.client_id();
  std::atomic<bool> stopped{false};

  // One command through the backend, blocking the calling thread.
  result<protocol::store_result> propose(protocol::store_command command, timeout_ms timeout);
  result<protocol::read_result> read(protocol::store_read request, timeout_ms timeout);

  // Serialises this context's blocking updates of one id.
  std::mutex& update_mutex(const std::string& id);

  // sequence_numbers.hpp, for proposals made outside propose().
  protocol::store_proposal numbered(protocol::store_command command) {
    return sequences.numbered(std::move(command));
  }
  void finish_sequence(std::uint64_t sequence) { sequences.finish(sequence); }

  // What every call through a shut-down context fails with.
  static error shut_down_error() { return error{errc::shutting_down, "the context was shut down"}; }

  // value_cache.cpp: the get_cached() copy of id, shared by its handles.
  std::shared_ptr<value_cache> cache_for(const std::string& id);
  // The copy of id while a handle holds one; nullptr (none made) otherwise.
  std::shared_ptr<value_cache> held_cache(const std::string& id);

  // ref_async.cpp: the actor that runs this context's updates of id from
  // actors, one at a time. Spawned on first use; stopped with the context.
  caf::actor ref_actor(const std::string& id);

  // session.cpp: the session behind locks and delays, opened on first use,
  // renewed by a keepalive actor every ttl/3 that keeps the client's own
  // deadline (session_deadline.hpp). A lapsed session is never handed out
  // again: the next call opens a new one. An open answered later than the
  // TTL (a cluster still electing its first leader) gives a session the
  // client already holds lapsed: it is let go and another one opened, up to
  // open_attempts in all, then `unavailable`.
  static constexpr int open_attempts = 3;
  result<std::string> session();
  void close_session(bool release);
  // The deadline of `session` while it is this context's current one;
  // nullptr once it was replaced (it lapsed, or the context closed it).
  std::shared_ptr<session_deadline> deadline_of(const std::string& session);
  // Grants lost with a lapsed session, so that a later unlock under them
  // fails with session_expired instead of a puzzling not_holder (or with
  // shutting_down once the context was shut down).
  void remember_lost_grant(const std::string& lock_id, std::uint64_t token);
  std::optional<error> lost_grant_error(const std::string& lock_id, std::uint64_t token);

  // locks.cpp. wait: nullopt waits forever, zero never waits. nullopt
  // result: not acquired in time (try_lock semantics).
  result<std::optional<lock_guard>> acquire(const std::string& lock_id,
                                            std::optional<std::chrono::milliseconds> wait);

  // actor_requests.cpp: the backend's reply to a read or a proposal from an
  // actor, as a message to self: on_reply (or on_error with the CAF error
  // of a failed request: its timeout, the backend gone) runs in self's
  // context after the current handler. Asked in this thread when the
  // backend answers here (backend_handle::read_here, propose_here), else
  // of the backend actor; a proposal sent there is numbered, so that a
  // retry is answered from the store's reply cache.
  void ask_backend(caf::scheduled_actor* self, protocol::store_read request, timeout_ms timeout,
                   std::function<void(protocol::store_read_reply&)> on_reply,
                   std::function<void(caf::error&)> on_error);
  void ask_backend(caf::scheduled_actor* self, protocol::store_command command, timeout_ms timeout,
                   std::function<void(protocol::store_reply&)> on_reply,
                   std::function<void(caf::error&)> on_error);
  // The same for a watch of key by watcher: on_start gets the revision it
  // starts after (backend_actor.hpp). Where the backend answers here, the
  // watcher is in place before this returns (backend_handle::watch_here).
  void ask_backend_watch(caf::scheduled_actor* self, const std::string& key,
                         const caf::actor& watcher, timeout_ms timeout,
                         std::function<void(std::uint64_t)> on_start,
                         std::function<void(caf::error&)> on_error);
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
  void async_session(caf::scheduled_actor* self, std::function<void(result<std::string>)> done,
                     int attempts_left = open_attempts);

  // delays.cpp: the store hands the body to every claim of this context's
  // session, so callers of one context take turns here: false when another
  // one runs id's body right now (wait for its completion instead).
  bool start_delay_run(const std::string& id);
  void end_delay_run(const std::string& id);

  // delay_offers.cpp: the bodies this context's delay handles hold, by id,
  // with one watch per id that answers delay_requested by claiming and
  // running the body on a thread of its own; stop_delay_offers (shutdown)
  // ends the watches and joins those threads.
  // Adds offer; true when a watch for its id listens already, else the
  // caller installs one and attaches it.
  bool add_delay_offer(const std::shared_ptr<delay_offer>& offer);
  void attach_delay_watch(const std::string& id, subscription watch);
  void withdraw_delay_offer(const std::string& id);
  void start_offered_run(const std::string& id);
  void run_offered(const std::string& id); // on the run's thread
  void stop_delay_offers();

  // context.cpp: what shutdown() ends first, while the context still
  // works: an election's term (its callbacks cancelled, its lock
  // released). f runs at most once, and not once owner is gone.
  void at_shutdown(std::weak_ptr<void> owner, std::function<void()> f);
  void run_shutdown_hooks();

  // watch.cpp: a watch of key (an id, or "P*": watch_key.hpp) whose
  // on_event runs on a watcher actor of its own, through the
  // subscription's gate; blocking, and from an actor (done runs in self's
  // context once the watch is in place).
  result<subscription> watch(const std::string& key,
                             std::function<void(const protocol::store_event&)> on_event,
                             timeout_ms timeout);
  void async_watch_subscription(caf::scheduled_actor* self, const std::string& key,
                                std::function<void(const protocol::store_event&)> on_event,
                                timeout_ms timeout, std::function<void(result<subscription>)> done);

  std::chrono::milliseconds timeout_or_default(timeout_ms timeout) const;
  // The timeout of a request an actor sends the backend (or a ref actor):
  // the caller's own, else none when the backend answers at once. CAF's
  // timeout bookkeeping (a clock entry under a lock per request) halved the
  // gets/s of 64 actors; a request to a backend that is gone fails at once
  // without it.
  caf::duration backend_timeout(timeout_ms timeout) const;

  // The timeouts of the actors' requests to the backend (actor_requests.cpp).
  request_deadlines deadlines{std::chrono::milliseconds{20}};

  // The calling thread's blocking actor for requests (requester_pool.hpp).
  caf::scoped_actor& requester() { return requesters_->for_this_thread(); }

private:
  struct shutdown_hooks {
    std::mutex mutex;
    std::vector<std::pair<std::weak_ptr<void>, std::function<void()>>> hooks;
  } shutdown_hooks_;

  std::mutex update_mutexes_mutex_;
  std::map<std::string, std::mutex, std::less<>> update_mutexes_; // nodes: stable

  // session.cpp: the session (its name and deadline), its generation and
  // its keepalive actor.
  struct session_slot {
    std::mutex mutex;
    std::shared_ptr<session_deadline> life;
    std::uint64_t generation = 0;
    caf::actor keepalive;
  } session_;

  // session.cpp: the grants lost with earlier sessions, by token. A mutex of
  // its own: lapse listeners record here while session() may hold
  // session_.mutex across a round trip to a member that does not answer.
  struct {
    std::mutex mutex;
    std::map<std::uint64_t, std::string> by_token;
  } lost_grants_;

  // session.cpp, under session_.mutex.
  std::string next_session_name();
  bool session_alive() const;
  // Renews it from now on; opened: when its open was sent.
  void adopt_session(std::string name, session_deadline::clock::time_point opened);
  protocol::cmd_session_open open_command(std::string name) const;

  // value_cache.cpp: one cached copy per id while a handle holds it.
  struct {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<value_cache>, std::less<>> by_id;
    std::size_t swept_at = 64;
  } caches_;

  // delays.cpp: the ids whose body this context runs right now.
  struct {
    std::mutex mutex;
    std::set<std::string, std::less<>> ids;
  } delay_runs_;

  // delay_offers.cpp
  struct offered_run {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  struct offers_of_id {
    std::vector<std::weak_ptr<delay_offer>> offers;
    subscription watch; // one per id, for all its offers
  };
  struct {
    std::mutex mutex;
    std::map<std::string, offers_of_id, std::less<>> by_id;
    std::vector<offered_run> runs;
    bool stopped = false;
  } delay_offers_;

  // ref_async.cpp: one ref actor per id, spawned on first use.
  struct {
    std::mutex mutex;
    std::map<std::string, caf::actor, std::less<>> by_id;
  } ref_actors_;

  std::shared_ptr<requester_pool> requesters_ = std::make_shared<requester_pool>(sys);
};

} // namespace dref::detail
