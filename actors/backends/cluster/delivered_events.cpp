#include "delivered_events.hpp"

#include <algorithm>

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
  if (e.new_version <= revision_)
    return false;
  revision_ = e.new_version;
  return true;
}

void delivered_events::learn_topic_start(std::uint64_t next_seq) {
  if (next_seq == 0)
    return;
  topic_seq_ = std::max(topic_seq_.value_or(0), next_seq - 1);
}

} // namespace dref::backend
