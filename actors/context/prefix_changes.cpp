#include "prefix_changes.hpp"

#include "dref/backends/seam/prefix_catch_up.hpp"
#include "dref/backends/seam/watch_key.hpp"
#include "dref/store/delta.hpp"

#include <algorithm>
#include <cstdint>
#include <set>

namespace dref::detail {

bool prefix_changes::news(const protocol::store_event& e) const {
  auto it = ids_.find(e.id);
  return it == ids_.end() || e.new_version > it->second.version;
}

std::vector<std::pair<std::string, byte_change>>
prefix_changes::on(const protocol::store_event& e) {
  using protocol::event_kind;
  std::vector<std::pair<std::string, byte_change>> out;
  if (e.id == key_) {
    if (e.kind == event_kind::value_caught_up)
      return caught_up_to(e);
    return out;
  }
  if (!backend::key_covers(key_, e.id) || !news(e))
    return out;
  byte_change c;
  c.old_version = e.old_version;
  c.new_version = e.new_version;
  switch (e.kind) {
    case event_kind::value_created:
      c.kind = change_kind::created;
      c.new_bytes = e.payload;
      break;
    case event_kind::value_written:
      c.kind = change_kind::written;
      c.old_bytes = e.old_value;
      if (e.payload_type == protocol::payload_kind::delta) {
        if (!e.old_value)
          return out;
        auto patched = store::apply_delta(*e.old_value, e.payload, SIZE_MAX);
        if (!patched)
          return out;
        c.new_bytes = std::move(*patched);
      } else {
        c.new_bytes = e.payload;
      }
      break;
    case event_kind::value_removed:
      if (auto it = ids_.find(e.id); it != ids_.end() && !it->second.present)
        return out; // a catch-up told it already
      c.kind = change_kind::removed;
      c.old_bytes = e.old_value;
      break;
    case event_kind::metadata_changed:
      c.kind = change_kind::metadata;
      break;
    case event_kind::value_caught_up:
      c.kind = change_kind::caught_up;
      c.old_version = 0;
      c.new_bytes = e.payload;
      break;
    default:
      return out; // a lock, topic, ... under the same id
  }
  ids_[e.id] = seen{e.new_version, c.kind != change_kind::removed};
  out.emplace_back(e.id, std::move(c));
  return out;
}

// The end of a catch-up: the ids it knew as present that are not are gone.
std::vector<std::pair<std::string, byte_change>>
prefix_changes::caught_up_to(const protocol::store_event& end) {
  std::vector<std::pair<std::string, byte_change>> out;
  auto present_list = backend::present_ids(end);
  std::set<std::string, std::less<>> present(present_list.begin(), present_list.end());
  for (auto& [id, known] : ids_) {
    if (!known.present || present.contains(id) || known.version >= end.new_version)
      continue;
    byte_change c;
    c.kind = change_kind::removed;
    c.new_version = end.new_version;
    known.version = end.new_version;
    known.present = false;
    out.emplace_back(id, std::move(c));
  }
  return out;
}

} // namespace dref::detail
