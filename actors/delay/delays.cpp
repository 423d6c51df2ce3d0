// Delays, blocking: watch, then claim (with a body) or ask for a run
// (without one); run the body when the claim is ours; otherwise wait for
// the completion, claim or ask again when the runner's session lapses,
// and fail when the runner's body failed (the contract is in delay.hpp).
#include "context_impl.hpp"
#include "delay_runs.hpp"
#include "dref/delay.hpp"

#include <chrono>
#include <condition_variable>
#include <exception>

namespace dref::detail {

namespace {

// Enough of a failure's message to say what went wrong, well within any
// value limit.
constexpr std::size_t max_failure_message = 4096;

} // namespace

std::string failure_message(const std::exception_ptr& failure) {
  std::string message = "an exception that is not a std::exception";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  if (message.size() > max_failure_message)
    message.resize(max_failure_message);
  return message;
}

std::string run_body_or_report(context_impl& ctx, const std::string& id, const std::string& session,
                               const std::function<std::string()>& body) {
  try {
    return body();
  } catch (...) {
    // Not reported (the member is gone, our session lapsed): the claim
    // ends with the session, as for a runner that died.
    (void)ctx.propose(
        protocol::cmd_delay_fail{id, session, failure_message(std::current_exception())},
        std::nullopt);
    throw;
  }
}

error body_failed_error(const std::string& id, const std::string& session,
                        const std::string& message) {
  return error{errc::body_failed,
               "delay '" + id + "': its body failed on session '" + session + "': " + message};
}

std::chrono::milliseconds request_interval(const context_impl& ctx) {
  return std::max(ctx.options.session_ttl, std::chrono::milliseconds{100});
}

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
    std::optional<error> failed;
    std::uint64_t releases = 0; // runner sessions that lapsed
  };
  auto w = std::make_shared<waiter>();
  auto sub = ctx->watch(
      id,
      [w, id = id](const protocol::store_event& e) {
        {
          std::lock_guard guard{w->mutex};
          if (e.kind == protocol::event_kind::delay_completed)
            w->value = e.payload;
          else if (e.kind == protocol::event_kind::delay_released)
            ++w->releases;
          else if (e.kind == protocol::event_kind::delay_failed)
            w->failed = body_failed_error(id, e.session, e.payload);
          else
            return;
        }
        w->changed.notify_all();
      },
      std::nullopt);
  if (!sub)
    return std::move(sub).error();
  using clock = std::chrono::steady_clock;
  // A plain time point: g++ 12 warns (wrongly) about an optional one here.
  auto deadline = clock::now() + wait.value_or(std::chrono::milliseconds{0});
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
          value = run_body_or_report(*ctx, id, *session, *body);
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
      auto asked = ctx->propose(protocol::cmd_delay_request{id}, std::nullopt);
      if (!asked)
        return std::move(asked).error();
      auto& state = std::get<protocol::res_delay>(*asked);
      if (state.state == protocol::delay_claim_state::completed)
        return std::move(state.value);
    }
    std::unique_lock guard{w->mutex};
    auto ready = [&] { return w->value || w->failed || w->releases != releases_seen; };
    bool woken = true;
    if (body == nullptr) {
      // Without a body, ask again now and then: a body-holder may have
      // come since, or the one asked may have died before it claimed.
      auto until = clock::now() + request_interval(*ctx);
      if (wait && deadline < until)
        until = deadline;
      woken = w->changed.wait_until(guard, until, ready);
    } else if (wait) {
      woken = w->changed.wait_until(guard, deadline, ready);
    } else {
      w->changed.wait(guard, ready); // a release wakes it to claim again
    }
    if (w->value)
      return std::move(*w->value);
    if (w->failed)
      return std::move(*w->failed);
    if (!woken && wait && clock::now() >= deadline)
      return error{errc::timeout, "delay '" + id + "' did not complete in time"};
  }
}

} // namespace dref::detail
