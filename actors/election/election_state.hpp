#pragma once
// The campaign behind an election handle (elections.cpp) and what its
// requests from actors (election_async.cpp) hook into. A term ends on the
// first of: the client's own session deadline (session_deadline.hpp; when
// is in docs/locks.md), the store's lock_lost event, resign, leave.
#include "context_impl.hpp"
#include "dref/cancellation.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dref::detail {

// What an event of the election's lock says of its leader: the new one
// (an empty optional: nobody leads for now), or nothing when the event
// leaves the leader as it was.
inline std::optional<std::optional<std::string>> leader_change(const protocol::store_event& e) {
  switch (e.kind) {
    case protocol::event_kind::lock_granted:
      return std::optional<std::string>{e.owner};
    case protocol::event_kind::lock_lost:
      return std::optional<std::string>{};
    case protocol::event_kind::lock_released:
      if (e.number != 0) // 0: a waiter left the queue, the leader stays
        return std::optional<std::string>{};
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The leader recorded in a read of the election's lock.
inline std::optional<std::string> leader_in(const protocol::read_result& read) {
  const auto& lock = std::get<protocol::lock_state>(read);
  if (!lock.held)
    return std::nullopt;
  return lock.owner;
}

inline protocol::store_read leader_read(const std::string& lock_id) {
  return protocol::store_read{protocol::read_kind::lock, lock_id, 0, 0};
}

// Why a leader may not hand over to `to`, from a read of the election's
// lock: it does not lead, or `to` is not in line. Nothing when it may.
inline std::optional<error> hand_over_refusal(const protocol::read_result& read,
                                              const std::string& election,
                                              const std::string& session, const std::string& leader,
                                              const std::string& to) {
  const auto* state = std::get_if<protocol::lock_state>(&read);
  if (state == nullptr)
    return error{errc::internal,
                 "election '" + election + "': a lock read answered another result"};
  const auto& lock = *state;
  if (!lock.held || lock.session != session || lock.owner != leader)
    return error{errc::not_holder, "election '" + election + "': '" + leader +
                                       "' does not lead, so it cannot hand over"};
  for (const auto& w : lock.waiters)
    if (w.owner == to)
      return std::nullopt;
  return error{errc::not_found, "election '" + election + "': '" + to +
                                    "' is not a candidate in line; '" + leader + "' still leads"};
}

struct election_state : std::enable_shared_from_this<election_state> {
  std::shared_ptr<context_impl> ctx;
  std::string name;
  std::string lock_id;
  std::string candidate;

  std::mutex mutex;
  std::condition_variable changed;
  // Campaign state, guarded by mutex.
  std::string session;
  bool granted = false;
  bool dropped = false; // our wait or term ended without us asking
  bool stopping = false;
  bool resign_requested = false;
  // resign_to: the candidate the resigning leader hands over to.
  std::optional<std::string> hand_to;
  // The first candidacy is in the lock's queue (or the campaign ended):
  // join_election returns then, so candidates queue in the order they
  // joined.
  bool in_line = false;
  std::uint64_t token = 0;
  std::vector<std::function<void(cancellation)>> on_elected;
  // Registered from actors: they only post into the actor's inbox, so they
  // run on the campaign thread and return at once.
  std::vector<std::function<void(cancellation)>> on_elected_posting;
  // resign(self) calls waiting until the resigning candidate is back in
  // the queue (at its end), or the campaign ended.
  std::vector<std::function<void()>> resign_waiters;
  bool requeue_pending = false; // released after a resignation, not queued again yet
  std::optional<cancellation> term;
  std::vector<std::thread> runners;

  std::atomic<bool> leading{false};
  std::atomic<std::uint64_t> leading_token{0};
  // The deadline of the session the candidacy is queued or leads under:
  // is_leader() reads the clock against it, so a process resumed after a
  // pause answers false before the campaign thread ran.
  std::atomic<std::shared_ptr<session_deadline>> life;
  std::thread campaign;

  bool leads_now() const {
    if (!leading)
      return false;
    auto current = life.load();
    return current && !current->lapsed(session_deadline::clock::now());
  }

  // The session lapsed: like a loss (or, queued, a drop) told by the store.
  void on_lapse() {
    {
      std::lock_guard guard{mutex};
      dropped = true;
    }
    changed.notify_all();
  }

  // Listens to the deadline of session `id` until the end of this round.
  class lapse_listener {
  public:
    lapse_listener(std::shared_ptr<session_deadline> deadline, std::uint64_t handle)
        : deadline_(std::move(deadline))
        , handle_(handle) {}
    lapse_listener(const lapse_listener&) = delete;
    lapse_listener& operator=(const lapse_listener&) = delete;
    ~lapse_listener() { deadline_->forget(handle_); }

  private:
    std::shared_ptr<session_deadline> deadline_;
    std::uint64_t handle_;
  };
  std::optional<lapse_listener> listen_to(const std::string& id) {
    auto deadline = ctx->deadline_of(id);
    if (!deadline)
      return std::nullopt;
    life = deadline;
    auto handle = deadline->listen([weak = weak_from_this()] {
      if (auto self = weak.lock())
        self->on_lapse();
    });
    return std::optional<lapse_listener>{std::in_place, deadline, handle};
  }

  void on_event(const protocol::store_event& e) {
    {
      std::lock_guard guard{mutex};
      if (e.session != session || e.owner != candidate)
        return;
      switch (e.kind) {
        case protocol::event_kind::lock_granted:
          if (!granted) {
            granted = true;
            token = e.number;
          }
          break;
        case protocol::event_kind::lock_released:
          // Removed from the queue, or our grant released, without our
          // asking (the session was closed under us).
          if ((!granted && e.number == 0) || (granted && e.number == token))
            dropped = true;
          break;
        case protocol::event_kind::lock_lost:
          if (granted && e.number == token)
            dropped = true;
          break;
        default:
          break;
      }
    }
    changed.notify_all();
  }

  // After a failed step: pauses before the next round; false when the
  // campaign should end instead (shutdown, leave()).
  bool may_retry_after(const error& failure) {
    if (failure.code == errc::shutting_down)
      return false;
    std::unique_lock guard{mutex};
    return !changed.wait_for(guard, std::chrono::milliseconds{100}, [&] { return stopping; });
  }

  void start_term() {
    std::vector<std::function<void(cancellation)>> callbacks;
    cancellation stop;
    {
      std::lock_guard guard{mutex};
      term = stop;
      callbacks = on_elected;
      leading_token = token;
      leading = true;
      for (auto& f : callbacks)
        runners.emplace_back([f, stop] { f(stop); });
      for (auto& f : on_elected_posting)
        f(stop);
    }
  }

  void end_term() {
    std::vector<std::thread> finished;
    std::optional<cancellation> ended;
    {
      std::lock_guard guard{mutex};
      leading = false;
      leading_token = 0;
      ended.swap(term);
      finished.swap(runners);
    }
    if (ended)
      ended->cancel();
    for (auto& t : finished)
      if (t.joinable())
        t.join();
  }

  // A resignation is over once the candidate queued again (or gave up):
  // resign() then returns, and whoever resigns next queues behind it.
  void finish_resignation() {
    std::vector<std::function<void()>> resigned;
    {
      std::lock_guard guard{mutex};
      if (!requeue_pending)
        return;
      requeue_pending = false;
      resign_requested = false;
      resigned.swap(resign_waiters);
    }
    changed.notify_all(); // resign() waits for this
    for (auto& f : resigned)
      f();
  }

  void run() {
    struct mark_in_line_on_exit {
      election_state* self;
      ~mark_in_line_on_exit() {
        {
          std::lock_guard guard{self->mutex};
          self->in_line = true;
        }
        self->changed.notify_all();
        self->finish_resignation();
      }
    } on_exit{this};
    while (true) {
      {
        std::lock_guard guard{mutex};
        if (stopping)
          return;
      }
      auto opened = ctx->session();
      if (!opened) {
        if (!may_retry_after(opened.error()))
          return;
        continue;
      }
      {
        std::lock_guard guard{mutex};
        session = *opened;
        granted = dropped = false;
        token = 0;
      }
      auto listening = listen_to(*opened);
      if (!listening)
        continue; // lapsed just now: open a new one
      auto watching = ctx->watch(
          lock_id,
          [weak = weak_from_this()](const protocol::store_event& e) {
            if (auto self = weak.lock())
              self->on_event(e);
          },
          std::nullopt);
      if (!watching) {
        if (!may_retry_after(watching.error()))
          return;
        continue;
      }
      auto answer =
          ctx->propose(protocol::cmd_lock_acquire{lock_id, *opened, candidate, true}, std::nullopt);
      if (!answer) {
        if (!may_retry_after(answer.error()))
          return;
        continue; // e.g. the session lapsed just now: open a new one
      }
      bool leave_now = false;
      {
        std::unique_lock guard{mutex};
        if (const auto& got = std::get<protocol::res_lock>(*answer); got.granted && !granted) {
          granted = true;
          token = got.token;
        }
        if (!in_line) {
          in_line = true;
          changed.notify_all();
        }
      }
      finish_resignation();
      {
        std::unique_lock guard{mutex};
        changed.wait(guard, [&] { return granted || dropped || stopping; });
        if (!granted && stopping)
          leave_now = true;
      }
      if (leave_now) {
        auto cancelled =
            ctx->propose(protocol::cmd_lock_cancel_wait{lock_id, *opened, candidate}, std::nullopt);
        // A grant may have won the race with the cancellation.
        std::lock_guard guard{mutex};
        if (cancelled)
          if (auto* won = std::get_if<protocol::res_lock>(&*cancelled); won && won->granted)
            (void)ctx->propose(protocol::cmd_lock_release{lock_id, *opened, candidate, won->token},
                               std::nullopt);
        return;
      }
      if (!granted)
        continue; // dropped from the queue: campaign again with a new session
      start_term();
      bool lost = false;
      {
        std::unique_lock guard{mutex};
        changed.wait(guard, [&] { return dropped || stopping || resign_requested; });
        lost = dropped;
      }
      std::uint64_t held_token = leading_token;
      end_term();
      if (!lost) {
        let_go(*opened, held_token);
      } else {
        std::lock_guard guard{mutex};
        hand_to.reset(); // the term is gone: nothing to hand over
      }
      {
        std::lock_guard guard{mutex};
        requeue_pending = resign_requested; // finished once queued again
      }
    }
  }

  // The lock goes to the candidate resign_to named, else (none named, or
  // it left the line since) to the next in line.
  void let_go(const std::string& held_session, std::uint64_t held_token) {
    std::optional<std::string> to;
    {
      std::lock_guard guard{mutex};
      to = std::exchange(hand_to, std::nullopt);
    }
    if (to && ctx->propose(
                  protocol::cmd_lock_hand_over{lock_id, held_session, candidate, held_token, *to},
                  std::nullopt))
      return;
    (void)ctx->propose(protocol::cmd_lock_release{lock_id, held_session, candidate, held_token},
                       std::nullopt);
  }

  // Until the first candidacy is queued, at most `limit`.
  void await_in_line(std::chrono::milliseconds limit) {
    std::unique_lock guard{mutex};
    changed.wait_for(guard, limit, [&] { return in_line || stopping; });
  }

  void stop() {
    {
      std::lock_guard guard{mutex};
      stopping = true;
    }
    changed.notify_all();
    if (campaign.joinable() && campaign.get_id() != std::this_thread::get_id())
      campaign.join();
  }
};

} // namespace dref::detail
