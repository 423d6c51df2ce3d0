#pragma once
// What a subscription owns: the actor that receives a watch's events, and
// the gate its callback runs through. Dropping the last handle closes the
// gate (waiting for a callback under way) and stops the actor, and with it
// the watch.

#include "callback_gate.hpp"
#include "dref/protocol/store_results.hpp"

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <functional>
#include <memory>

namespace dref::detail {

struct watch_handle {
  caf::actor watcher;
  std::shared_ptr<callback_gate> gate = std::make_shared<callback_gate>();

  // on_event, run through the gate.
  using event_handler = std::function<void(const protocol::store_event&)>;
  event_handler gated(event_handler on_event) const {
    if (!on_event)
      return on_event;
    return [g = gate, f = std::move(on_event)](const protocol::store_event& e) {
      g->run([&] { f(e); });
    };
  }

  ~watch_handle() {
    gate->close();
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  }
};

} // namespace dref::detail
