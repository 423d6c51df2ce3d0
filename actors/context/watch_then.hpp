#pragma once
// The first step of an acquisition from an actor (lock_async.cpp,
// semaphore_async.cpp): its key is watched before anything is proposed, so
// that no grant, loss or change after the proposal can be missed.

#include "context_impl.hpp"

#include <memory>
#include <string>

namespace dref::detail {

// Watches `key` for `me` (me->on_event gets each event in me->self's
// context) and, once the watch is in place, keeps its inbox in me->events
// and runs `next`. A failed watch answers me with the error; an acquisition
// answered meanwhile (its session lapsed) goes no further.
template <class Acquisition>
void watch_then(const std::shared_ptr<Acquisition>& me, const std::string& key,
                void (Acquisition::*next)()) {
  me->ctx->async_watch(
      me->self, key, [me](const protocol::store_event& e) { me->on_event(e); }, std::nullopt,
      [me, next](result<inbox> watching) {
        if (!watching)
          return me->answer(std::move(watching).error());
        if (!me->done)
          return;
        me->events = std::move(*watching);
        ((*me).*next)();
      });
}

} // namespace dref::detail
