// Semaphores from actors. One acquisition is a small state machine run in
// the requesting actor's context, the same steps as the blocking form
// (semaphore.cpp): watch the line into an inbox, write the request, read
// the line after every change until the rule of permit_queue.hpp grants
// it. The watch stays while the permits are held only when someone listens
// for their loss, told by whichever comes first: the session's deadline
// (through an inbox of its own) or the removal of the request.
#include "context_impl.hpp"
#include "dref/semaphore.hpp"
#include "lapse_alarm.hpp"
#include "permit_queue.hpp"
#include "semaphore_line.hpp"
#include "watch_then.hpp"

#include <atomic>
#include <caf/scheduled_actor.hpp>
#include <map>
#include <mutex>

namespace dref::detail {

using namespace protocol;

namespace {

struct permit_request;

// The grants held with a loss listener, by request id, so that a release
// (from any actor) tells its grant that the removal to come is not a loss.
struct held_grants {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<permit_request>, std::less<>> by_request;

  static held_grants& of_process() {
    static held_grants grants;
    return grants;
  }
  void add(const std::string& request, std::weak_ptr<permit_request> held) {
    std::lock_guard guard{mutex};
    by_request[request] = std::move(held);
  }
  void drop(const std::string& request) {
    std::lock_guard guard{mutex};
    by_request.erase(request);
  }
  std::shared_ptr<permit_request> find(const std::string& request) {
    std::lock_guard guard{mutex};
    auto it = by_request.find(request);
    return it == by_request.end() ? nullptr : it->second.lock();
  }
};

struct permit_request : std::enable_shared_from_this<permit_request> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string semaphore_id;
  std::int64_t limit = 0;
  std::int64_t permits = 0;
  std::optional<std::chrono::milliseconds> wait;
  std::function<void()> on_lost;
  std::function<void(result<std::optional<semaphore_grant>>)> done; // empty once answered
  std::string session;
  std::string request;
  std::uint64_t token = 0;
  inbox events;
  lapse_alarm alarm; // the session's lapse, told in self's context
  bool written = false;
  bool granted = false;
  bool giving_up = false;
  std::atomic<bool> releasing{false}; // set by a release from any actor
  bool lost = false;
  bool reading = false;    // a read of the line is under way
  bool read_again = false; // and the line changed since it was sent

  void answer(result<std::optional<semaphore_grant>> outcome) {
    if (!done)
      return;
    auto reply = std::move(done);
    done = nullptr;
    bool holds = outcome && *outcome;
    if (!holds || !on_lost)
      stop();
    reply(std::move(outcome));
  }

  void stop() {
    if (granted && on_lost)
      held_grants::of_process().drop(request);
    events.close();
    alarm.stop();
  }

  void start() {
    if (auto ok = check_permits(semaphore_id, limit, permits); !ok)
      return answer(std::move(ok).error());
    ctx->async_session(self, [me = shared_from_this()](result<std::string> opened) {
      if (!opened)
        return me->answer(std::move(opened).error());
      me->session = std::move(*opened);
      me->request = request_id(me->semaphore_id, next_holder(me->session), me->permits);
      me->listen();
      me->watch();
    });
  }

  void listen() {
    alarm.start(*ctx, self, session, [weak = weak_from_this()] {
      if (auto me = weak.lock())
        me->gone();
    });
  }

  // The request went without us asking: the session lapsed, or another
  // writer removed it.
  void gone() {
    if (giving_up || releasing)
      return;
    if (!granted)
      return answer(lapsed_while_waiting(semaphore_id));
    if (lost)
      return;
    lost = true;
    stop();
    if (on_lost)
      on_lost();
  }

  void watch() { watch_then(shared_from_this(), line_key(semaphore_id), &permit_request::write); }

  void write() {
    ctx->async_propose(self, cmd_set_owned{request, store::encode_i64(permits), session, true},
                       std::nullopt, [me = shared_from_this()](result<store_result> got) {
                         if (!got) // it may have been written all the same
                           return me->leave_and_answer(std::move(got).error());
                         me->written = true;
                         me->token = std::get<res_created>(*got).version;
                         if (me->wait && me->done)
                           // Weakly: an answered request must not be kept (with its context)
                           // until a long wait's timer fires.
                           me->events.post_after(*me->wait, [weak = me->weak_from_this()] {
                             if (auto alive = weak.lock())
                               alive->give_up();
                           });
                         me->check();
                       });
  }

  void check() {
    if (!written || granted || !done || giving_up)
      return;
    if (reading) {
      read_again = true;
      return;
    }
    reading = true;
    async_read_line(ctx, self, semaphore_id, [me = shared_from_this()](result<line> got) {
      me->reading = false;
      if (!me->done || me->giving_up)
        return; // the wait ran out meanwhile: give_up() answers
      if (!got)
        return me->leave_and_answer(std::move(got).error());
      auto standing = standing_in(*got, me->semaphore_id, me->limit, me->request);
      if (!standing.present)
        return me->gone();
      if (standing.granted) {
        me->granted = true;
        if (me->on_lost)
          held_grants::of_process().add(me->request, me);
        return me->answer(
            std::optional<semaphore_grant>{semaphore_grant{me->request, me->permits, me->token}});
      }
      if (std::exchange(me->read_again, false))
        me->check();
    });
  }

  // The wait ran out: leave the line (a grant that won the race goes back
  // too: the caller hears nullopt and holds nothing).
  void give_up() {
    if (!done || granted)
      return;
    leave_and_answer(std::optional<semaphore_grant>{});
  }

  // Leaves the line, then answers: a request that failed or gave up never
  // stays in it, where it would block every later one.
  void leave_and_answer(result<std::optional<semaphore_grant>> outcome) {
    giving_up = true;
    ctx->async_propose(self, cmd_remove{request}, std::nullopt,
                       [me = shared_from_this(), outcome = std::move(outcome)](
                           result<store_result>) mutable { me->answer(std::move(outcome)); });
  }

  void on_event(const store_event& e) {
    if (e.kind == event_kind::value_removed && e.id == request) {
      if (giving_up || releasing)
        return stop(); // our own removal
      return gone();
    }
    check();
  }
};

} // namespace

} // namespace dref::detail

namespace dref {

void semaphore::async_acquire(
    caf::scheduled_actor* self, std::int64_t permits, std::optional<std::chrono::milliseconds> wait,
    std::function<void()> on_lost,
    std::function<void(result<std::optional<semaphore_grant>>)> done) const {
  auto run = std::make_shared<detail::permit_request>();
  run->ctx = impl_;
  run->self = self;
  run->semaphore_id = id();
  run->limit = permits_;
  run->permits = permits;
  run->wait = wait;
  run->on_lost = std::move(on_lost);
  run->done = std::move(done);
  run->start();
}

void semaphore::async_release(caf::scheduled_actor* self, const semaphore_grant& grant,
                              std::function<void(result<void>)> done) const {
  if (!detail::requested_permits(id(), grant.request))
    return done(error{errc::invalid_argument, "semaphore '" + id() + "': '" + grant.request +
                                                  "' is not one of its requests"});
  if (auto held = detail::held_grants::of_process().find(grant.request))
    held->releasing = true;
  impl_->async_propose(
      self, protocol::cmd_remove{grant.request}, std::nullopt,
      [done, name = id()](result<protocol::store_result> got) {
        if (!got)
          return done(std::move(got).error());
        if (auto* removed = std::get_if<protocol::res_removed>(&*got); removed && !removed->existed)
          return done(error{errc::session_expired,
                            "semaphore '" + name +
                                "': the grant was lost with its session before this release"});
        done(result<void>{});
      });
}

} // namespace dref
