// Countdown latches, blocking: a count-down is one add_i64 of -1; a wait
// watches the id first and then reads, so an opening in between is never
// missed, and reads again after every change it is told of.
#include "dref/latch.hpp"

#include "context_access.hpp"
#include "latch_count.hpp"

#include <condition_variable>
#include <mutex>

namespace dref {

namespace {

error count_refused(const dref::id& id, std::int64_t count) {
  return error{errc::invalid_argument, "latch '" + id.str() + "': a count of " +
                                           std::to_string(count) +
                                           " is refused; it must be 1 or more"};
}

} // namespace

countdown_latch countdown_latch::make(context& ctx, const dref::id& id, std::int64_t count) {
  if (count < 1)
    throw error_exception(count_refused(id, count));
  auto made = ctx.make_or_join<std::int64_t, store::i64_codec>(count, id);
  return countdown_latch{detail::impl_of(ctx), std::move(made.handle)};
}

result<std::int64_t> countdown_latch::try_count_down(detail::timeout_ms timeout) const {
  auto ran = counter_.core().run("add_i64", detail::count_down_delta(), timeout);
  if (!ran)
    return std::move(ran).error();
  return detail::count_to_go(ran->value);
}

result<std::int64_t> countdown_latch::try_count(detail::timeout_ms timeout) const {
  auto got = counter_.try_get(timeout);
  if (!got)
    return std::move(got).error();
  return detail::count_to_go(*got);
}

result<bool> countdown_latch::try_wait_for(std::optional<std::chrono::milliseconds> timeout) const {
  using clock = std::chrono::steady_clock;
  const bool bounded = timeout.has_value();
  const auto deadline = clock::now() + timeout.value_or(std::chrono::milliseconds{0});
  std::mutex mutex;
  std::condition_variable changed_cv;
  bool changed = false;
  // Declared after what it refers to: its destructor waits for a call of
  // the handler under way, so the handler never outlives them.
  auto watch = counter_.core().watch_values([&](const detail::byte_change&) {
    {
      std::lock_guard guard{mutex};
      changed = true;
    }
    changed_cv.notify_all();
  });
  if (!watch)
    return std::move(watch).error();
  for (;;) {
    auto left = try_count();
    if (!left)
      return std::move(left).error();
    if (*left == 0)
      return true;
    std::unique_lock lock{mutex};
    if (bounded) {
      if (!changed_cv.wait_until(lock, deadline, [&] { return changed; }))
        return false;
    } else {
      changed_cv.wait(lock, [&] { return changed; });
    }
    changed = false;
  }
}

bool countdown_latch::try_set_count(std::int64_t count) const {
  if (count < 1)
    throw error_exception(count_refused(manual_id(id()), count));
  for (int attempt = 0; attempt < counter_.core().max_update_attempts(); ++attempt) {
    auto current = counter_.get_versioned();
    if (current.value > 0)
      return false;
    auto armed = counter_.try_set_at_version(current.version, count);
    if (armed)
      return true;
    if (armed.error().code != errc::version_conflict)
      throw error_exception(armed.error());
    counter_.core().backoff(attempt); // a late count-down: look again
  }
  throw error_exception(detail::retries_exhausted(id(), counter_.core().max_update_attempts()));
}

} // namespace dref
