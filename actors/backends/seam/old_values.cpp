#include "dref/backends/seam/old_values.hpp"

#include "dref/backends/seam/watch_key.hpp"
#include "dref/store/delta.hpp"

#include <cstdint>
#include <optional>

namespace dref::backend {

using protocol::event_kind;
using protocol::payload_kind;
using protocol::store_event;

void unsent_old_values::thin(store_event& e) {
  auto it = sent_.find(e.id);
  bool follows = it != sent_.end() && it->second == e.old_version;
  switch (e.kind) {
    case event_kind::value_created:
    case event_kind::value_caught_up:
      sent_[e.id] = e.new_version; // whole, in the payload
      return;
    case event_kind::value_written: {
      // The watcher can build the new value from a whole payload, or from
      // a delta and the old value (sent now, or held since the last event).
      bool buildable = e.payload_type == payload_kind::full || e.old_value.has_value();
      if (follows && e.old_value && e.old_value->size() >= min_size_)
        e.old_value.reset();
      if (buildable)
        sent_[e.id] = e.new_version;
      else if (it != sent_.end())
        sent_.erase(it);
      return;
    }
    case event_kind::value_removed:
      if (follows && e.old_value && e.old_value->size() >= min_size_)
        e.old_value.reset();
      if (it != sent_.end())
        sent_.erase(it);
      return;
    case event_kind::metadata_changed: // the value stays, at a new version
      if (follows)
        it->second = e.new_version;
      else if (it != sent_.end())
        sent_.erase(it);
      return;
    default:
      return;
  }
}

void unsent_old_values::restart(const std::string& key) {
  if (!is_prefix_key(key)) {
    sent_.erase(key);
    return;
  }
  std::erase_if(sent_, [&](const auto& entry) { return key_covers(key, entry.first); });
}

void held_old_values::restore(store_event& e) {
  auto it = held_.find(e.id);
  bool follows = it != held_.end() && it->second.version == e.old_version;
  auto forget = [&] {
    if (it != held_.end())
      held_.erase(it);
  };
  std::optional<std::string> now; // the new value, when known
  switch (e.kind) {
    case event_kind::value_created:
    case event_kind::value_caught_up:
      if (e.payload_type == payload_kind::full)
        now = e.payload;
      break;
    case event_kind::value_written:
      if (!e.old_value && follows)
        e.old_value = it->second.bytes;
      if (e.payload_type == payload_kind::full) {
        now = e.payload;
      } else if (e.payload_type == payload_kind::delta && e.old_value) {
        auto whole = store::apply_delta(*e.old_value, e.payload, SIZE_MAX);
        if (whole) {
          // Watchers downstream get the whole value: built once, here.
          e.payload = *whole;
          e.payload_type = payload_kind::full;
          now = std::move(*whole);
        }
      }
      break;
    case event_kind::value_removed:
      if (!e.old_value && follows)
        e.old_value = std::move(it->second.bytes);
      return forget();
    case event_kind::metadata_changed:
      if (follows)
        it->second.version = e.new_version;
      else
        forget();
      return;
    default:
      return;
  }
  if (now && now->size() >= min_size_)
    held_.insert_or_assign(e.id, held{e.new_version, std::move(*now)});
  else
    forget();
}

std::size_t held_old_values::bytes_held() const noexcept {
  std::size_t total = 0;
  for (const auto& [id, value] : held_)
    total += value.bytes.size();
  return total;
}

} // namespace dref::backend
