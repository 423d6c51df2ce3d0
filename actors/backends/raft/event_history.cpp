#include "event_history.hpp"

#include "dref/backends/seam/watch_key.hpp"

namespace dref::raft::node {

event_history::event_history(std::size_t max_events, std::size_t max_bytes)
    : max_events_(max_events)
    , max_bytes_(max_bytes) {}

std::size_t event_history::weight(const protocol::store_event& e) {
  return sizeof(protocol::store_event) + e.id.size() + e.payload.size() + e.session.size() +
         e.owner.size() + (e.old_value ? e.old_value->size() : 0);
}

void event_history::append(std::uint64_t revision, std::vector<protocol::store_event> events) {
  for (auto& e : events) {
    bytes_ += weight(e);
    events_.push_back(kept{revision, std::move(e)});
  }
  trim();
}

void event_history::trim() {
  while (!events_.empty() && (events_.size() > max_events_ || bytes_ > max_bytes_)) {
    // A revision goes whole: a resume from inside it could not be gap-free.
    auto revision = events_.front().revision;
    while (!events_.empty() && events_.front().revision == revision) {
      bytes_ -= weight(events_.front().event);
      events_.pop_front();
    }
    floor_ = revision;
  }
}

void event_history::forget_all(std::uint64_t revision) {
  events_.clear();
  bytes_ = 0;
  floor_ = revision;
}

std::optional<std::vector<protocol::store_event>> event_history::since(std::string_view key,
                                                                       std::uint64_t after) const {
  if (after < floor_)
    return std::nullopt;
  std::vector<protocol::store_event> out;
  for (const auto& k : events_)
    if (k.revision > after && backend::key_covers(key, k.event.id))
      out.push_back(k.event);
  return out;
}

} // namespace dref::raft::node
