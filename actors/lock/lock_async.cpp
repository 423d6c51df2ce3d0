// Locks from actors. One acquisition is a small state machine run in the
// requesting actor's context: watch the lock into an inbox (so no grant or
// loss is missed), propose the acquire, then wait for the grant event
// instead of a thread. The watch stays while the lock is held only when
// someone listens for its loss, and ends with the release. The loss is told
// by whichever comes first: the client's own session deadline
// (session_deadline.hpp, through an inbox of its own) or the store's
// lock_lost event.
#include "context_impl.hpp"
#include "dref/lock.hpp"
#include "lapse_alarm.hpp"
#include "watch_then.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref::detail {

using namespace protocol;

namespace {

struct acquisition : std::enable_shared_from_this<acquisition> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string lock_id;
  std::string owner;
  std::string session;
  std::optional<std::chrono::milliseconds> wait;
  std::function<void()> on_lost;
  std::function<void(result<std::optional<std::uint64_t>>)> done; // empty once answered
  inbox events;
  bool granted = false;
  bool giving_up = false; // our own cancel_wait is under way
  bool lost = false;
  std::uint64_t token = 0;
  lapse_alarm alarm; // the session's lapse, told in self's context

  void answer(result<std::optional<std::uint64_t>> outcome) {
    if (!done)
      return;
    auto reply = std::move(done);
    done = nullptr;
    bool holds = outcome && *outcome;
    if (!holds || !on_lost) {
      events.close(); // nobody listens for a loss
      stop_listening();
    }
    reply(std::move(outcome));
  }

  void stop_listening() { alarm.stop(); }

  void start() {
    ctx->async_session(self, [me = shared_from_this()](result<std::string> opened) {
      if (!opened)
        return me->answer(std::move(opened).error());
      me->session = std::move(*opened);
      me->listen();
      me->watch();
    });
  }

  // From before the acquire: a lapse while queued ends the wait.
  void listen() {
    alarm.start(*ctx, self, session, [weak = weak_from_this()] {
      if (auto me = weak.lock())
        me->lapse();
    });
  }

  void lapse() {
    if (!granted && done)
      answer(
          error{errc::session_expired, "lock '" + lock_id + "': the session lapsed while waiting"});
    else if (granted)
      lose();
  }

  // Told once, by whichever of the deadline and the store's event is first.
  void lose() {
    if (lost)
      return;
    lost = true;
    stop_listening();
    events.close();
    ctx->remember_lost_grant(lock_id, token);
    if (on_lost)
      on_lost();
  }

  void watch() { watch_then(shared_from_this(), lock_id, &acquisition::propose_acquire); }

  void propose_acquire() {
    bool may_wait = !wait || wait->count() > 0;
    ctx->async_propose(self, cmd_lock_acquire{lock_id, session, owner, may_wait}, std::nullopt,
                       [me = shared_from_this()](result<store_result> got) {
                         if (!got) {
                           if (got.error().code == errc::would_block)
                             return me->answer(std::optional<std::uint64_t>{});
                           return me->answer(std::move(got).error());
                         }
                         const auto& lock = std::get<res_lock>(*got);
                         if (lock.granted)
                           return me->grant(lock.token);
                         if (me->wait && me->done)
                           // Weakly: an answered acquisition must not be kept (with its
                           // context) until a long wait's timer fires.
                           me->events.post_after(*me->wait, [weak = me->weak_from_this()] {
                             if (auto alive = weak.lock())
                               alive->give_up();
                           });
                       });
  }

  void grant(std::uint64_t at) {
    if (granted)
      return;
    granted = true;
    token = at;
    answer(std::optional<std::uint64_t>{at});
  }

  // The wait ran out: leave the queue, unless the grant won the race.
  void give_up() {
    if (!done)
      return;
    giving_up = true;
    ctx->async_propose(self, cmd_lock_cancel_wait{lock_id, session, owner}, std::nullopt,
                       [me = shared_from_this()](result<store_result> got) {
                         if (got)
                           if (auto* won = std::get_if<res_lock>(&*got); won && won->granted)
                             return me->grant(won->token);
                         me->answer(std::optional<std::uint64_t>{});
                       });
  }

  void on_event(const store_event& e) {
    if (e.session != session || e.owner != owner)
      return;
    switch (e.kind) {
      case event_kind::lock_granted:
        grant(e.number);
        break;
      case event_kind::lock_released:
        if (!granted && e.number == 0 && !giving_up) // dropped from the queue
          answer(error{errc::session_expired,
                       "lock '" + lock_id + "': the session lapsed while waiting"});
        else if (granted && e.number == token) { // released for good
          events.close();
          stop_listening();
        }
        break;
      case event_kind::lock_lost:
        if (granted && e.number == token)
          lose();
        break;
      default:
        break;
    }
  }
};

} // namespace

std::string actor_owner(std::uint64_t actor_id) {
  return "actor-" + std::to_string(actor_id);
}

std::string actor_owner(const caf::scheduled_actor* self) {
  return actor_owner(self->id());
}

void lock_core::acquire(caf::scheduled_actor* self, std::string owner,
                        std::optional<std::chrono::milliseconds> wait,
                        std::function<void()> on_lost,
                        std::function<void(result<std::optional<std::uint64_t>>)> done) const {
  auto run = std::make_shared<acquisition>();
  run->ctx = ctx;
  run->self = self;
  run->lock_id = id;
  run->owner = std::move(owner);
  run->wait = wait;
  run->on_lost = std::move(on_lost);
  run->done = std::move(done);
  run->start();
}

std::optional<error> lock_core::lost_grant(std::uint64_t token) const {
  return ctx->lost_grant_error(id, token);
}

void lock_core::release(caf::scheduled_actor* self, std::uint64_t token,
                        std::function<void(result<void>)> done) const {
  auto refuse = [done, name = id](const std::string& why) {
    done(error{errc::not_holder, "unlock of lock '" + name + "': " + why});
  };
  if (auto lost = ctx->lost_grant_error(id, token))
    return done(*lost);
  ctx->async_session(
      self, [ctx = ctx, self, name = id, token, done, refuse](result<std::string> session) {
        if (!session)
          return done(std::move(session).error());
        ctx->async_read(
            self, store_read{read_kind::lock, name, 0, 0}, std::nullopt,
            [ctx, self, name, token, done, refuse, session = *session](result<read_result> got) {
              if (!got)
                return done(std::move(got).error());
              const auto& state = std::get<lock_state>(*got);
              if (!state.held)
                return refuse("nobody holds it");
              if (state.session != session)
                return refuse("another node holds it");
              if (state.token != token)
                return refuse("held under fencing token " + std::to_string(state.token) + ", not " +
                              std::to_string(token));
              // The store checks holder and token again: a lapse in between is
              // refused.
              ctx->async_propose(self, cmd_lock_release{name, session, state.owner, token},
                                 std::nullopt, [done](result<store_result> released) {
                                   if (!released)
                                     return done(std::move(released).error());
                                   done(result<void>{});
                                 });
            });
      });
}

} // namespace dref::detail
