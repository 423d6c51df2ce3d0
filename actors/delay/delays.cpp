// Delays: watch, then claim (or just read, without a body); run the body
// when the claim is ours; otherwise wait for completion, and claim again if
// the runner's session lapses.
#include <condition_variable>

#include "context_impl.hpp"
#include "dref/delay.hpp"

namespace dref::detail {

bool context_impl::start_delay_run(const std::string& id) {
  std::lock_guard guard{delay_runs_.mutex};
  return delay_runs_.ids.insert(id).second;
}

void context_impl::end_delay_run(const std::string& id) {
  std::lock_guard guard{delay_runs_.mutex};
  delay_runs_.ids.erase(id);
}

result<std::string> delay_core::get(const std::function<std::string()>* body,
                                    std::optional<std::chrono::milliseconds> wait) const {
  struct waiter {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<std::string> value;
    std::uint64_t releases = 0; // runner sessions that lapsed
  };
  auto w = std::make_shared<waiter>();
  auto sub = ctx->watch(
    id,
    [w](const protocol::store_event& e) {
      {
        std::lock_guard guard{w->mutex};
        if (e.kind == protocol::event_kind::delay_completed)
          w->value = e.payload;
        else if (e.kind == protocol::event_kind::delay_released)
          ++w->releases;
        else
          return;
      }
      w->changed.notify_all();
    },
    std::nullopt);
  if (!sub)
    return std::move(sub).error();
  // A plain time point: g++ 12 warns (wrongly) about an optional one here.
  auto deadline = std::chrono::steady_clock::now() + wait.value_or(std::chrono::milliseconds{0});
  for (;;) {
    std::uint64_t releases_seen = 0;
    {
      std::lock_guard guard{w->mutex};
      releases_seen = w->releases;
    }
    if (body != nullptr) {
      auto session = ctx->session();
      if (!session)
        return std::move(session).error();
      auto claimed = ctx->propose(protocol::cmd_delay_claim{id, *session}, std::nullopt);
      if (!claimed)
        return std::move(claimed).error();
      auto& state = std::get<protocol::res_delay>(*claimed);
      if (state.state == protocol::delay_claim_state::completed)
        return std::move(state.value);
      if (state.state == protocol::delay_claim_state::run_body && ctx->start_delay_run(id)) {
        std::string value;
        try {
          value = (*body)();
        } catch (...) {
          ctx->end_delay_run(id);
          throw;
        }
        auto done = ctx->propose(protocol::cmd_delay_complete{id, *session, value}, std::nullopt);
        ctx->end_delay_run(id);
        if (!done && done.error().code != errc::already_delivered)
          return std::move(done).error();
        if (done)
          return value;
        // Our session lapsed while the body ran and someone else finished:
        // the committed value wins.
      }
    } else {
      auto state = ctx->read(protocol::store_read{protocol::read_kind::delay, id, 0, 0},
                             std::nullopt);
      if (!state)
        return std::move(state).error();
      auto& d = std::get<protocol::delay_state>(*state);
      if (d.completed)
        return std::move(d.value);
    }
    std::unique_lock guard{w->mutex};
    auto ready = [&] { return w->value.has_value() || w->releases != releases_seen; };
    if (wait) {
      if (!w->changed.wait_until(guard, deadline, ready))
        return error{errc::timeout, "delay '" + id + "' did not complete in time"};
    } else {
      w->changed.wait(guard, ready);
    }
    if (w->value)
      return std::move(*w->value);
  }
}

} // namespace dref::detail
