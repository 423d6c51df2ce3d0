// Elections from actors: the campaign stays on its thread (election_state.hpp);
// what the actor asked for reaches it through an inbox, so it runs in the
// actor's context and nothing blocks.
#include "dref/election.hpp"
#include "election_reads.hpp"
#include "election_state.hpp"
#include "inbox.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref::detail {

void observed_leader(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                     caf::scheduled_actor* self,
                     std::function<void(result<std::optional<std::string>>)> done) {
  ctx->async_read(self, leader_read(lock_id), std::nullopt,
                  [done](result<protocol::read_result> got) {
                    if (!got)
                      return done(std::move(got).error());
                    done(leader_in(*got));
                  });
}

void election_leader(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<std::optional<std::string>>)> done) {
  observed_leader(state->ctx, state->lock_id, self, std::move(done));
}

void election_when_elected(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                           std::function<void(cancellation)> on_elected,
                           std::function<void()> on_ended) {
  auto events = inbox::open(self);
  auto posting = [events, on_elected = std::move(on_elected),
                  on_ended = std::move(on_ended)](cancellation stop) {
    events.post([on_elected, stop] { on_elected(stop); });
    if (on_ended)
      stop.on_cancel([events, on_ended] { events.post(on_ended); });
  };
  std::lock_guard guard{state->mutex};
  state->on_elected_posting.push_back(posting);
  if (state->term)
    posting(*state->term);
}

void observed_leaders(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                      caf::scheduled_actor* self,
                      std::function<void(std::optional<std::string>)> fn,
                      std::function<void(result<subscription>)> done) {
  ctx->async_watch(
      self, lock_id,
      [fn](const protocol::store_event& e) {
        if (auto changed = leader_change(e))
          fn(std::move(*changed));
      },
      std::nullopt,
      [ctx, lock_id, self, fn, done](result<inbox> watching) {
        if (!watching)
          return done(std::move(watching).error());
        // Watching first, then reading, as the blocking observe does.
        observed_leader(
            ctx, lock_id, self,
            [fn, done, events = std::move(*watching)](result<std::optional<std::string>> current) {
              if (!current)
                return done(std::move(current).error());
              fn(std::move(*current));
              done(events.to_subscription());
            });
      });
}

void election_observe(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                      std::function<void(std::optional<std::string>)> fn,
                      std::function<void(result<subscription>)> done) {
  observed_leaders(state->ctx, state->lock_id, self, std::move(fn), std::move(done));
}

// As election_observer::proclaimed: the value first, then the lock.
void observed_proclamation(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                           caf::scheduled_actor* self,
                           std::function<void(result<std::optional<proclamation>>)> done) {
  ctx->async_read(self, protocol::store_read{protocol::read_kind::value, lock_id, 0, 0},
                  std::nullopt, [ctx, lock_id, self, done](result<protocol::read_result> value) {
                    if (!value && value.error().code == errc::not_found)
                      return done(std::optional<proclamation>{});
                    if (!value)
                      return done(std::move(value).error());
                    auto decoded =
                        decode_proclamation(std::get<protocol::value_state>(*value).value);
                    if (!decoded)
                      return done(std::optional<proclamation>{});
                    ctx->async_read(self, leader_read(lock_id), std::nullopt,
                                    [done, decoded](result<protocol::read_result> lock) {
                                      if (!lock)
                                        return done(std::move(lock).error());
                                      const auto& state = std::get<protocol::lock_state>(*lock);
                                      if (!state.held || state.token != decoded->token)
                                        return done(std::optional<proclamation>{});
                                      done(decoded);
                                    });
                  });
}

void observed_proclamations(const std::shared_ptr<context_impl>& ctx, const std::string& lock_id,
                            caf::scheduled_actor* self, std::function<void(const proclamation&)> fn,
                            std::function<void(result<subscription>)> done) {
  ctx->async_watch(
      self, lock_id,
      [fn](const protocol::store_event& e) {
        if (auto p = proclamation_in(e))
          fn(*p);
      },
      std::nullopt,
      [done](result<inbox> watching) {
        if (!watching)
          return done(std::move(watching).error());
        done(watching->to_subscription());
      });
}

void election_proclaim(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                       std::string value, std::function<void(result<void>)> done) {
  auto token = state->leading_token.load();
  if (!state->leads_now() || token == 0)
    return done(not_leading(*state));
  auto bytes = encode_proclamation({state->candidate, token, std::move(value)});
  state->ctx->async_propose(
      self,
      protocol::cmd_fenced{protocol::write_fence{state->lock_id, token},
                           protocol::cmd_set{state->lock_id, std::move(bytes)}},
      std::nullopt, [done](result<protocol::store_result> written) {
        if (!written)
          return done(std::move(written).error());
        done(result<void>{});
      });
}

void election_resign(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<void>)> done) {
  std::unique_lock guard{state->mutex};
  if (!state->leading) {
    state->hand_to.reset(); // a resign_to's choice is for this term only
    guard.unlock();
    return done(result<void>{});
  }
  auto events = inbox::open(self);
  state->resign_waiters.push_back(
      [events, done] { events.post([done] { done(result<void>{}); }); });
  state->resign_requested = true;
  state->changed.notify_all();
}

void election_resign_to(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                        std::string to, std::function<void(result<void>)> done) {
  state->ctx->async_read(
      self, leader_read(state->lock_id), std::nullopt,
      [state, self, to = std::move(to), done](result<protocol::read_result> read) {
        if (!read)
          return done(std::move(read).error());
        std::string session;
        {
          std::lock_guard guard{state->mutex};
          session = state->session;
        }
        if (auto refused = hand_over_refusal(*read, state->name, session, state->candidate, to))
          return done(*refused);
        {
          std::lock_guard guard{state->mutex};
          if (!state->leading) // as the blocking resign_to (elections.cpp)
            return done(error{errc::not_holder, "election '" + state->name + "': '" +
                                                    state->candidate + "' does not lead here"});
          state->hand_to = to;
        }
        election_resign(state, self, done);
      });
}

} // namespace dref::detail
