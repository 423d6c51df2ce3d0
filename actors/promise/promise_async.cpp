// Promises from actors: deliver is one proposal; await watches the id into
// the actor's inbox first, then reads, so a delivery in between is never
// missed, and answers on the read or on the delivery event.
#include "awaiting.hpp"
#include "context_impl.hpp"
#include "dref/promise.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref::detail {

using namespace protocol;

void promise_core::async_deliver(caf::scheduled_actor* self, std::string bytes,
                                 std::function<void(result<bool>)> done) const {
  ctx->async_propose(self, cmd_promise_deliver{id, std::move(bytes)}, std::nullopt,
                     [done](result<store_result> got) {
                       if (!got)
                         return done(std::move(got).error());
                       done(std::get<res_delivered>(*got).first);
                     });
}

void promise_core::async_await(caf::scheduled_actor* self,
                               std::optional<std::chrono::milliseconds> wait,
                               std::function<void(result<std::string>)> done) const {
  auto waiter = std::make_shared<awaiting<std::string>>();
  waiter->done = std::move(done);
  ctx->async_watch(
      self, id,
      [waiter](const store_event& e) {
        if (e.kind == event_kind::promise_delivered)
          waiter->answer(e.payload);
      },
      std::nullopt,
      [ctx = ctx, self, id = id, wait, waiter](result<inbox> watching) {
        if (!watching)
          return waiter->answer(std::move(watching).error());
        waiter->events = std::move(*watching);
        waiter->time_out_after(wait, "promise '" + id + "' was not delivered");
        ctx->async_read(self, store_read{read_kind::promise, id, 0, 0}, std::nullopt,
                        [waiter](result<read_result> got) {
                          if (!got)
                            return waiter->answer(std::move(got).error());
                          auto& state = std::get<promise_state>(*got);
                          if (state.delivered)
                            waiter->answer(std::move(state.value));
                        });
      });
}

} // namespace dref::detail
