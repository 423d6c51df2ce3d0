#include "delivered_events.hpp"

#include <algorithm>
#include <string>

namespace dref::backend {

bool delivered_events::admit(const protocol::store_event& e) {
  if (e.kind == protocol::event_kind::topic_published) {
    if (topic_seq_ && e.number <= *topic_seq_)
      return false;
    topic_seq_ = e.number;
    return true;
  }
  if (e.new_version == 0)
    return true;
  if (e.new_version < revision_)
    return false;
  auto what = std::to_string(static_cast<int>(e.kind)) + '\x1f' + e.id + '\x1f' + e.session +
              '\x1f' + e.owner + '\x1f' + std::to_string(e.number) + '\x1f' +
              std::to_string(e.old_version);
  if (e.new_version == revision_) {
    if (revision_whole_ || e.kind == protocol::event_kind::value_caught_up)
      return false;
    if (std::find(at_revision_.begin(), at_revision_.end(), what) != at_revision_.end())
      return false;
    at_revision_.push_back(std::move(what));
    return true;
  }
  revision_ = e.new_version;
  revision_whole_ = e.kind == protocol::event_kind::value_caught_up;
  at_revision_.assign(1, std::move(what));
  return true;
}

void delivered_events::learn_topic_start(std::uint64_t next_seq) {
  if (next_seq == 0)
    return;
  topic_seq_ = std::max(topic_seq_.value_or(0), next_seq - 1);
}

} // namespace dref::backend
