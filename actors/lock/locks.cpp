// Blocking locks on top of the store's lock commands: watch the lock first
// (so no grant or loss is missed), then acquire; wait for the grant event
// when queued; a guard releases on destruction and hears of its loss: from
// the client's own session deadline (session_deadline.hpp), or from the
// store's lock_lost event, whichever comes first.
#include "context_impl.hpp"
#include "dref/context.hpp"

#include <condition_variable>
#include <functional>
#include <thread>

namespace dref::detail {

struct held_lock {
  std::shared_ptr<context_impl> ctx;
  std::string lock_id;
  std::string session;
  std::string owner;
  std::uint64_t token = 0;
  subscription watch;
  std::shared_ptr<session_deadline> life; // of `session`
  std::uint64_t listening = 0;            // our lapse listener on life

  std::mutex mutex;
  std::condition_variable changed;
  bool granted = false;
  bool dropped = false; // our wait or hold ended without us asking
  bool lost = false;
  std::vector<std::function<void()>> on_lost;

  // An acquisition that failed or timed out stops listening here.
  ~held_lock() {
    if (life)
      life->forget(listening);
  }

  void release() {
    if (life)
      life->forget(listening);
    watch.cancel();
    // Past the deadline the session is not ours to use (docs/locks.md),
    // and its member may not answer at all: no release then.
    bool gone = life && life->lapsed(session_deadline::clock::now());
    {
      std::lock_guard guard{mutex};
      gone = gone || lost;
    }
    if (!gone)
      (void)ctx->propose(protocol::cmd_lock_release{lock_id, session, owner, token}, std::nullopt);
  }

  // The grant is gone (or, while waiting, the place in the queue): told
  // once, by whichever of the deadline and the store's event comes first.
  void lose() {
    std::vector<std::function<void()>> callbacks;
    std::uint64_t lost_token = 0;
    {
      std::lock_guard guard{mutex};
      if (lost)
        return;
      dropped = true;
      if (granted) {
        lost = true;
        lost_token = token;
        callbacks.swap(on_lost);
      }
    }
    changed.notify_all();
    if (lost_token != 0)
      ctx->remember_lost_grant(lock_id, lost_token);
    for (auto& f : callbacks)
      f();
  }
};

namespace {

std::string thread_owner() {
  return "thread-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

void on_lock_event(const std::weak_ptr<held_lock>& weak, const protocol::store_event& e) {
  auto held = weak.lock();
  if (!held || e.session != held->session || e.owner != held->owner)
    return;
  bool lost = false;
  {
    std::lock_guard guard{held->mutex};
    switch (e.kind) {
      case protocol::event_kind::lock_granted:
        if (!held->granted) {
          held->granted = true;
          held->token = e.number;
        }
        break;
      case protocol::event_kind::lock_released: // removed from the queue
        if (!held->granted && e.number == 0)
          held->dropped = true;
        break;
      case protocol::event_kind::lock_lost:
        if (held->granted && e.number == held->token)
          lost = true;
        break;
      default:
        break;
    }
  }
  held->changed.notify_all();
  if (lost)
    held->lose();
}

} // namespace

result<std::optional<lock_guard>>
context_impl::acquire(const std::string& lock_id, std::optional<std::chrono::milliseconds> wait) {
  auto session_id = session();
  if (!session_id)
    return std::move(session_id).error();
  auto held = std::make_shared<held_lock>();
  held->ctx = shared_from_this();
  held->lock_id = lock_id;
  held->session = *session_id;
  held->owner = thread_owner();
  std::weak_ptr<held_lock> weak = held;
  // Listening from before the acquire: a lapse while queued ends the wait.
  held->life = deadline_of(held->session);
  if (!held->life)
    return error{errc::session_expired, "lock '" + lock_id + "': the session lapsed just now"};
  held->listening = held->life->listen([weak] {
    if (auto alive = weak.lock())
      alive->lose();
  });
  auto watching = watch(
      lock_id, [weak](const protocol::store_event& e) { on_lock_event(weak, e); }, std::nullopt);
  if (!watching)
    return std::move(watching).error();
  held->watch = std::move(*watching);

  bool may_wait = !wait || wait->count() > 0;
  auto answer = propose(protocol::cmd_lock_acquire{lock_id, held->session, held->owner, may_wait},
                        std::nullopt);
  if (!answer) {
    if (answer.error().code == errc::would_block)
      return std::optional<lock_guard>{};
    return std::move(answer).error();
  }
  const auto& lock = std::get<protocol::res_lock>(*answer);
  {
    std::unique_lock guard{held->mutex};
    if (lock.granted) {
      held->granted = true;
      held->token = lock.token;
    } else {
      auto ready = [&] { return held->granted || held->dropped; };
      if (wait)
        held->changed.wait_for(guard, *wait, ready);
      else
        held->changed.wait(guard, ready);
      if (!held->granted && held->dropped)
        return error{errc::session_expired,
                     "lock '" + lock_id + "': the session lapsed while waiting"};
    }
  }
  if (!held->granted) {
    // Timed out: leave the queue, unless the grant won the race.
    auto cancelled =
        propose(protocol::cmd_lock_cancel_wait{lock_id, held->session, held->owner}, std::nullopt);
    if (cancelled) {
      if (auto* won = std::get_if<protocol::res_lock>(&*cancelled); won && won->granted) {
        std::lock_guard guard{held->mutex};
        held->granted = true;
        held->token = won->token;
      }
    }
    if (!held->granted)
      return std::optional<lock_guard>{};
  }
  return std::optional<lock_guard>{lock_guard{std::move(held)}};
}

} // namespace dref::detail

namespace dref {

lock_guard& lock_guard::operator=(lock_guard&& other) noexcept {
  if (this != &other) {
    unlock();
    held_ = std::move(other.held_);
  }
  return *this;
}

const std::string& lock_guard::id() const {
  return held_->lock_id;
}

std::uint64_t lock_guard::fencing_token() const {
  return held_->token;
}

bool lock_guard::lost() const {
  {
    std::lock_guard guard{held_->mutex};
    if (held_->lost)
      return true;
  }
  // Past the deadline before its timer ran (this process was paused): the
  // clock is the truth, the listeners hear of it in a moment.
  return held_->life->lapsed(detail::session_deadline::clock::now());
}

void lock_guard::on_lost(std::function<void()> f) {
  {
    std::lock_guard guard{held_->mutex};
    if (!held_->lost) {
      held_->on_lost.push_back(std::move(f));
      return;
    }
  }
  f();
}

void lock_guard::unlock() noexcept {
  if (!held_)
    return;
  try {
    held_->release();
  } catch (...) {
    // Releasing is best effort: the session's expiry frees it in any case.
  }
  held_.reset();
}

lock_guard context::lock(const dref::id& id) {
  auto got = impl_->acquire(id.str(), std::nullopt).value();
  if (!got)
    throw error_exception(error{errc::internal, "lock '" + id.str() + "': not granted"});
  return std::move(*got);
}

void context::unlock(const dref::id& id, std::uint64_t fencing_token) {
  auto refuse = [&](const std::string& why) {
    throw error_exception(error{errc::not_holder, "unlock of lock '" + id.str() + "': " + why});
  };
  if (auto lost = impl_->lost_grant_error(id.str(), fencing_token))
    throw error_exception(*lost);
  auto session_id = impl_->session().value();
  auto got =
      impl_->read(protocol::store_read{protocol::read_kind::lock, id.str(), 0, 0}, std::nullopt)
          .value();
  const auto& state = std::get<protocol::lock_state>(got);
  if (!state.held)
    refuse("nobody holds it");
  if (state.session != session_id)
    refuse("another node holds it");
  if (state.token != fencing_token)
    refuse("held under fencing token " + std::to_string(state.token) + ", not " +
           std::to_string(fencing_token));
  // The store checks holder and token again: a lapse in between is refused.
  (void)impl_
      ->propose(protocol::cmd_lock_release{id.str(), session_id, state.owner, fencing_token},
                std::nullopt)
      .value();
}

std::optional<lock_guard> context::try_lock(const dref::id& id) {
  return impl_->acquire(id.str(), std::chrono::milliseconds{0}).value();
}

std::optional<lock_guard> context::try_lock_for(const dref::id& id,
                                                std::chrono::milliseconds wait) {
  return impl_->acquire(id.str(), wait).value();
}

} // namespace dref
