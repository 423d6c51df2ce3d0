#include "dref/backends/seam/catch_up.hpp"

#include <algorithm>

namespace dref::backend {

std::vector<protocol::store_event> catch_up_events(const id_state& s) {
  using namespace protocol;
  std::vector<store_event> out;
  auto add = [&](event_kind kind) -> store_event& {
    auto& e = out.emplace_back();
    e.kind = kind;
    e.id = s.id;
    return e;
  };
  std::uint64_t applied = 0; // a removal's version: at least the real one, below any later
  for (const auto& r : s.replies)
    if (!r.error)
      applied = std::max(applied, r.applied_index);
  for (const auto& reply : s.replies) {
    if (reply.error) {
      if (reply.error->code == errc::not_found && applied > 0) {
        auto& e = add(event_kind::value_removed);
        e.new_version = applied;
      }
      continue;
    }
    if (const auto* value = std::get_if<value_state>(&reply.value)) {
      auto& e = add(event_kind::value_caught_up);
      e.new_version = value->version;
      e.payload_type = payload_kind::full;
      e.payload = value->value;
    } else if (const auto* lock = std::get_if<lock_state>(&reply.value)) {
      if (lock->held) { // a waiter whose grant was lost learns it holds the lock
        auto& e = add(event_kind::lock_granted);
        e.session = lock->session;
        e.owner = lock->owner;
        e.number = lock->token;
      }
    } else if (const auto* promise = std::get_if<promise_state>(&reply.value)) {
      if (promise->delivered) {
        auto& e = add(event_kind::promise_delivered);
        e.new_version = promise->version;
        e.payload_type = payload_kind::full;
        e.payload = promise->value;
      }
    } else if (const auto* delay = std::get_if<delay_state>(&reply.value)) {
      if (delay->completed) {
        auto& e = add(event_kind::delay_completed);
        e.session = delay->runner;
        e.payload_type = payload_kind::full;
        e.payload = delay->value;
      } else if (!delay->claimed) {
        add(event_kind::delay_released); // waiters claim again
      }
    } else if (const auto* page = std::get_if<topic_page>(&reply.value)) {
      for (const auto& m : page->messages) {
        if (!s.topic_seen || m.seq <= *s.topic_seen)
          continue;
        auto& e = add(event_kind::topic_published);
        e.old_version = m.seq - 1;
        e.new_version = m.seq;
        e.number = m.seq;
        e.payload_type = payload_kind::full;
        e.payload = m.message;
      }
    }
  }
  return out;
}

} // namespace dref::backend
