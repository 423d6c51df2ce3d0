// Countdown latches from actors: a count-down is one proposal; a wait
// watches the id into the actor's inbox first, then reads, and reads again
// after every change of the id (an event's payload may be a delta or a
// catch-up: the read is the one answer that is always whole).
#include "awaiting.hpp"
#include "context_impl.hpp"
#include "dref/latch.hpp"
#include "latch_count.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref {

using namespace protocol;

void countdown_latch::async_count_down(caf::scheduled_actor* self, detail::timeout_ms timeout,
                                       std::function<void(result<std::int64_t>)> done) const {
  counter_.core().async_run(self, "add_i64", detail::count_down_delta(), timeout,
                            [done](result<res_ran> ran) {
                              if (!ran)
                                return done(std::move(ran).error());
                              done(detail::count_to_go(ran->value));
                            });
}

void countdown_latch::async_wait(caf::scheduled_actor* self,
                                 std::optional<std::chrono::milliseconds> wait,
                                 std::function<void(result<void>)> done) const {
  auto waiter = std::make_shared<detail::awaiting<bool>>();
  waiter->done = [done](result<bool> opened) {
    if (!opened)
      return done(std::move(opened).error());
    done(result<void>{});
  };
  // Reads the count and answers once it is 0; runs in self's context.
  auto check = [ctx = impl_, self, id = id(), weak = std::weak_ptr{waiter}] {
    ctx->async_read(self, store_read{read_kind::value, id, 0, 0}, std::nullopt,
                    [weak](result<read_result> got) {
                      auto waiting = weak.lock();
                      if (!waiting)
                        return;
                      if (!got)
                        return waiting->answer(std::move(got).error());
                      auto left = detail::count_to_go(std::get<value_state>(*got).value);
                      if (!left)
                        return waiting->answer(std::move(left).error());
                      if (*left == 0)
                        waiting->answer(true);
                    });
  };
  impl_->async_watch(
      self, id(),
      // Holds the waiter until it is answered (answer() closes the inbox).
      [waiter, check](const store_event&) {
        if (!waiter->answered())
          check();
      },
      std::nullopt,
      [waiter, check, wait, id = id()](result<detail::inbox> watching) {
        if (!watching)
          return waiter->answer(std::move(watching).error());
        waiter->events = std::move(*watching);
        waiter->time_out_after(wait, "latch '" + id + "' did not open");
        check();
      });
}

} // namespace dref
