// Semaphores, blocking: watch the semaphore's line first (so no release is
// missed), write the request, then read the line after every change until
// the rule of permit_queue.hpp grants it. A permit hears of its loss from
// the session's deadline or from the removal of its request, whichever
// comes first, as a held lock does (actors/lock/locks.cpp).
#include "dref/semaphore.hpp"

#include "context_access.hpp"
#include "context_impl.hpp"
#include "permit_queue.hpp"
#include "semaphore_line.hpp"

#include <condition_variable>
#include <mutex>

namespace dref::detail {

using namespace protocol;

struct held_permit {
  std::shared_ptr<context_impl> ctx;
  std::string semaphore_id;
  std::string request;
  std::string session;
  std::int64_t permits = 0;
  std::uint64_t token = 0; // the request's version once written
  subscription watch;
  std::shared_ptr<session_deadline> life;
  std::uint64_t listening = 0;

  std::mutex mutex;
  std::condition_variable changed_cv;
  bool changed = false;
  bool granted = false;
  bool releasing = false;
  bool gone = false; // the request was removed without us asking
  bool lost = false;
  std::vector<std::function<void()>> on_lost;

  ~held_permit() {
    if (life)
      life->forget(listening);
  }

  void remove_request() {
    {
      std::lock_guard guard{mutex};
      releasing = true;
    }
    if (life)
      life->forget(listening);
    watch.cancel();
    bool lapsed = life && life->lapsed(session_deadline::clock::now());
    {
      std::lock_guard guard{mutex};
      lapsed = lapsed || gone;
    }
    // Past the deadline the session is not ours to use (docs/locks.md):
    // its requests go with it.
    if (!lapsed)
      (void)ctx->propose(cmd_remove{request}, std::nullopt);
  }

  // The request is gone (the session lapsed, or its value was removed):
  // told once; a loss only when it held.
  void lose() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard guard{mutex};
      if (releasing || gone)
        return;
      gone = true;
      changed = true;
      if (granted) {
        lost = true;
        callbacks.swap(on_lost);
      }
    }
    changed_cv.notify_all();
    for (auto& f : callbacks)
      f();
  }

  void on_event(const store_event& e) {
    if (e.kind == event_kind::value_removed && e.id == request)
      return lose();
    {
      std::lock_guard guard{mutex};
      changed = true;
    }
    changed_cv.notify_all();
  }
};

namespace {

result<std::optional<semaphore_permit>>
acquire_permits(const std::shared_ptr<context_impl>& ctx, const std::string& semaphore_id,
                std::int64_t limit, std::int64_t permits,
                std::optional<std::chrono::milliseconds> wait) {
  if (auto ok = check_permits(semaphore_id, limit, permits); !ok)
    return std::move(ok).error();
  auto session = ctx->session();
  if (!session)
    return std::move(session).error();
  auto held = std::make_shared<held_permit>();
  held->ctx = ctx;
  held->semaphore_id = semaphore_id;
  held->session = *session;
  held->permits = permits;
  held->request = request_id(semaphore_id, next_holder(*session), permits);
  std::weak_ptr<held_permit> weak = held;
  held->life = ctx->deadline_of(held->session);
  if (!held->life)
    return lapsed_while_waiting(semaphore_id);
  held->listening = held->life->listen([weak] {
    if (auto alive = weak.lock())
      alive->lose();
  });
  auto watching = ctx->watch(
      line_key(semaphore_id),
      [weak](const store_event& e) {
        if (auto alive = weak.lock())
          alive->on_event(e);
      },
      std::nullopt);
  if (!watching)
    return std::move(watching).error();
  held->watch = std::move(*watching);
  auto written = ctx->propose(
      cmd_set_owned{held->request, store::encode_i64(permits), held->session, true}, std::nullopt);
  if (!written) {
    held->remove_request(); // it may have been written all the same
    return std::move(written).error();
  }
  held->token = std::get<res_created>(*written).version;

  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait.value_or(std::chrono::milliseconds{0});
  for (;;) {
    {
      std::lock_guard guard{held->mutex};
      held->changed = false;
    }
    auto line = read_line(*ctx, semaphore_id);
    if (!line) {
      held->remove_request(); // never left in line, where it would block the others
      return std::move(line).error();
    }
    auto standing = standing_in(*line, semaphore_id, limit, held->request);
    if (!standing.present)
      return lapsed_while_waiting(semaphore_id);
    if (standing.granted) {
      std::lock_guard guard{held->mutex};
      if (held->gone)
        return lapsed_while_waiting(semaphore_id);
      held->granted = true;
      break;
    }
    std::unique_lock guard{held->mutex};
    auto ready = [&] { return held->changed || held->gone; };
    bool woken = wait ? held->changed_cv.wait_until(guard, deadline, ready)
                      : (held->changed_cv.wait(guard, ready), true);
    if (held->gone)
      return lapsed_while_waiting(semaphore_id);
    // Changes that keep coming must not stretch the wait past its end.
    if (wait && clock::now() >= deadline)
      woken = false;
    if (!woken) {
      guard.unlock();
      held->remove_request(); // gives up its place; a grant that won the race goes back too
      return std::optional<semaphore_permit>{};
    }
  }
  return std::optional<semaphore_permit>{semaphore_permit{std::move(held)}};
}

} // namespace

} // namespace dref::detail

namespace dref {

semaphore semaphore::make(context& ctx, const dref::id& id, std::int64_t permits) {
  if (auto ok = detail::check_limit(id.str(), permits); !ok)
    throw error_exception(std::move(ok).error());
  auto made = ctx.make_or_join<std::int64_t, store::i64_codec>(permits, id);
  auto limit = made.created ? permits : made.handle.get();
  if (auto ok = detail::check_limit(id.str(), limit); !ok)
    throw error_exception(std::move(ok).error());
  return semaphore{detail::impl_of(ctx), std::move(made.handle), limit};
}

semaphore_permit semaphore::acquire(std::int64_t permits) const {
  return std::move(*detail::acquire_permits(impl_, id(), permits_, permits, std::nullopt).value());
}

std::optional<semaphore_permit> semaphore::try_acquire(std::int64_t permits,
                                                       std::chrono::milliseconds wait) const {
  return detail::acquire_permits(impl_, id(), permits_, permits, wait).value();
}

std::int64_t semaphore::available() const {
  auto line = detail::read_line(*impl_, id()).value();
  return permits_ - detail::standing_in(line, id(), permits_, {}).held;
}

read_write_lock read_write_lock::make(context& ctx, const dref::id& id) {
  return read_write_lock{semaphore::make(ctx, id, max_readers)};
}

semaphore_permit& semaphore_permit::operator=(semaphore_permit&& other) noexcept {
  if (this != &other) {
    release();
    held_ = std::move(other.held_);
  }
  return *this;
}

const std::string& semaphore_permit::semaphore_id() const {
  return held_->semaphore_id;
}

std::int64_t semaphore_permit::permits() const {
  return held_->permits;
}

std::uint64_t semaphore_permit::fencing_token() const {
  return held_->token;
}

bool semaphore_permit::lost() const {
  {
    std::lock_guard guard{held_->mutex};
    if (held_->lost)
      return true;
  }
  // Past the deadline before its timer ran (this process was paused): the
  // clock is the truth, as for a held lock.
  return held_->life && held_->life->lapsed(detail::session_deadline::clock::now());
}

void semaphore_permit::on_lost(std::function<void()> f) {
  {
    std::lock_guard guard{held_->mutex};
    if (!held_->lost) {
      held_->on_lost.push_back(std::move(f));
      return;
    }
  }
  f();
}

void semaphore_permit::release() noexcept {
  if (!held_)
    return;
  auto held = std::move(held_);
  try {
    held->remove_request();
  } catch (...) {
    // A release that fails leaves the request to its session: it goes when
    // the context closes or the session lapses.
  }
}

} // namespace dref
