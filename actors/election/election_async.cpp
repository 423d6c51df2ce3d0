// Elections from actors: the campaign stays on its thread (election_state.hpp);
// what the actor asked for reaches it through an inbox, so it runs in the
// actor's context and nothing blocks.
#include <caf/scheduled_actor.hpp>

#include "dref/election.hpp"
#include "election_state.hpp"
#include "inbox.hpp"

namespace dref::detail {

void election_leader(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<std::optional<std::string>>)> done) {
  state->ctx->async_read(self, leader_read(state->lock_id), std::nullopt,
                         [done](result<protocol::read_result> got) {
                           if (!got)
                             return done(std::move(got).error());
                           done(leader_in(*got));
                         });
}

void election_when_elected(const std::shared_ptr<election_state>& state,
                           caf::scheduled_actor* self, std::function<void(cancellation)> on_elected,
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

void election_observe(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                      std::function<void(std::optional<std::string>)> fn,
                      std::function<void(result<subscription>)> done) {
  state->ctx->async_watch(
    self, state->lock_id,
    [fn](const protocol::store_event& e) {
      if (auto changed = leader_change(e))
        fn(std::move(*changed));
    },
    std::nullopt,
    [state, self, fn, done](result<inbox> watching) {
      if (!watching)
        return done(std::move(watching).error());
      // Watching first, then reading, as the blocking observe does.
      election_leader(state, self,
                      [fn, done, events = std::move(*watching)](
                        result<std::optional<std::string>> current) {
                        if (!current)
                          return done(std::move(current).error());
                        fn(std::move(*current));
                        done(events.to_subscription());
                      });
    });
}

void election_resign(const std::shared_ptr<election_state>& state, caf::scheduled_actor* self,
                     std::function<void(result<void>)> done) {
  std::unique_lock guard{state->mutex};
  if (!state->leading) {
    guard.unlock();
    return done(result<void>{});
  }
  auto events = inbox::open(self);
  state->resign_waiters.push_back([events, done] { events.post([done] { done(result<void>{}); }); });
  state->resign_requested = true;
  state->changed.notify_all();
}

} // namespace dref::detail
