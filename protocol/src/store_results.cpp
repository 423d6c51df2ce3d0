#include "dref/protocol/store_results.hpp"

namespace dref::protocol {

std::string_view to_string(event_kind kind) noexcept {
  switch (kind) {
    case event_kind::value_created:
      return "value_created";
    case event_kind::value_written:
      return "value_written";
    case event_kind::value_removed:
      return "value_removed";
    case event_kind::metadata_changed:
      return "metadata_changed";
    case event_kind::session_opened:
      return "session_opened";
    case event_kind::session_closed:
      return "session_closed";
    case event_kind::session_expired:
      return "session_expired";
    case event_kind::lock_granted:
      return "lock_granted";
    case event_kind::lock_queued:
      return "lock_queued";
    case event_kind::lock_released:
      return "lock_released";
    case event_kind::lock_lost:
      return "lock_lost";
    case event_kind::topic_published:
      return "topic_published";
    case event_kind::promise_delivered:
      return "promise_delivered";
    case event_kind::delay_claimed:
      return "delay_claimed";
    case event_kind::delay_completed:
      return "delay_completed";
    case event_kind::delay_released:
      return "delay_released";
    case event_kind::delay_requested:
      return "delay_requested";
    case event_kind::delay_failed:
      return "delay_failed";
    case event_kind::value_caught_up:
      return "value_caught_up";
  }
  return "unknown";
}

} // namespace dref::protocol
