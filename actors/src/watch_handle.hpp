#pragma once
// What a subscription owns: the actor that receives a watch's events.
// Dropping the last handle stops it, and with it the watch.

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace dref::detail {

struct watch_handle {
  caf::actor watcher;
  ~watch_handle() { caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown); }
};

} // namespace dref::detail
