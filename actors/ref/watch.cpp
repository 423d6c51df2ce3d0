// Watches: one small actor per subscription receives the backend's change
// events and runs the callback through the handle's gate. Destroying the
// handle closes the gate and stops the actor.
#include "context_impl.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/delta.hpp"
#include "watch_handle.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <cstdint>
#include <optional>
#include <utility>

namespace dref::detail {

namespace {

caf::behavior watcher(caf::event_based_actor*,
                      std::function<void(const protocol::store_event&)> on_event) {
  return {
      [on_event](const protocol::store_event& e) { on_event(e); },
  };
}

// A value's change events as byte_changes: deltas applied, the value the
// watch saw last standing in where an event carries no old value (a
// catch-up's removal, a metadata change), catch-ups reported only when
// they change what the watch saw (ref_core.hpp).
std::function<void(const protocol::store_event&)> value_changes(ref_core::change_handler f) {
  return [f = std::move(f),
          seen = std::optional<std::string>{}](const protocol::store_event& e) mutable {
    using protocol::event_kind;
    byte_change c;
    c.old_version = e.old_version;
    c.new_version = e.new_version;
    switch (e.kind) {
      case event_kind::value_caught_up:
        if (seen && *seen == e.payload)
          return;
        c.kind = change_kind::caught_up;
        c.old_bytes = std::exchange(seen, e.payload);
        c.new_bytes = e.payload;
        break;
      case event_kind::value_created:
        c.kind = change_kind::created;
        c.new_bytes = e.payload;
        seen = e.payload;
        break;
      case event_kind::value_written: {
        if (!e.old_value)
          return;
        c.kind = change_kind::written;
        c.old_bytes = e.old_value;
        if (e.payload_type == protocol::payload_kind::delta) {
          auto patched = store::apply_delta(*e.old_value, e.payload, SIZE_MAX);
          if (!patched)
            return;
          c.new_bytes = std::move(*patched);
        } else {
          c.new_bytes = e.payload;
        }
        seen = c.new_bytes;
        break;
      }
      case event_kind::value_removed:
        c.kind = change_kind::removed;
        c.old_bytes = e.old_value ? e.old_value : seen;
        seen.reset();
        break;
      case event_kind::metadata_changed:
        c.kind = change_kind::metadata;
        c.old_bytes = seen;
        c.new_bytes = seen;
        break;
      default:
        return;
    }
    f(c);
  };
}

} // namespace

result<subscription> ref_core::watch_values(change_handler f, timeout_ms timeout) const {
  return ctx_->watch(id_, value_changes(std::move(f)), timeout);
}

result<subscription> context_impl::watch(const std::string& key,
                                         std::function<void(const protocol::store_event&)> on_event,
                                         timeout_ms timeout) {
  if (stopped)
    return shut_down_error();
  auto handle = std::make_shared<watch_handle>();
  handle->watcher = sys.spawn(watcher, handle->gated(std::move(on_event)));
  result<subscription> out = error{errc::internal, "no answer"};
  auto& self = requester();
  self->request(backend->actor, timeout_or_default(timeout), backend::watch_atom::value, key,
                handle->watcher)
      .receive([&](std::uint64_t) { out = subscription{handle}; },
               [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

void ref_core::async_watch_values(caf::scheduled_actor* self, change_handler f, timeout_ms timeout,
                                  std::function<void(result<subscription>)> done) const {
  ctx_->async_watch_subscription(self, id_, value_changes(std::move(f)), timeout, std::move(done));
}

void context_impl::async_watch_subscription(
    caf::scheduled_actor* self, const std::string& key,
    std::function<void(const protocol::store_event&)> on_event, timeout_ms timeout,
    std::function<void(result<subscription>)> done) {
  if (stopped)
    return done(shut_down_error());
  auto handle = std::make_shared<watch_handle>();
  handle->watcher = sys.spawn(watcher, handle->gated(std::move(on_event)));
  // Until the answer, the handle lives in the handlers: a timeout drops it
  // and so stops the watcher.
  ask_backend_watch(
      self, key, handle->watcher, timeout,
      [done, handle](std::uint64_t) { done(subscription{handle}); },
      [done](caf::error& err) { done(from_caf_error(err)); });
}

} // namespace dref::detail
