// Topic subscriptions without gaps: watch first and buffer, replay the
// retained history from the requested seq, then hand over to the live
// events, skipping what the replay already delivered.
#include "context_impl.hpp"
#include "dref/topic.hpp"

namespace dref::detail {

result<std::uint64_t> topic_core::publish(std::string bytes) const {
  auto got = ctx->propose(protocol::cmd_publish{id, std::move(bytes)}, std::nullopt);
  if (!got)
    return std::move(got).error();
  return std::get<protocol::res_published>(*got).seq;
}

result<topic_history<std::string>> topic_core::read(std::uint64_t from_seq,
                                                    std::uint32_t limit) const {
  auto got = ctx->read(protocol::store_read{protocol::read_kind::topic, id, from_seq, limit},
                       std::nullopt);
  if (!got)
    return std::move(got).error();
  auto& page = std::get<protocol::topic_page>(*got);
  topic_history<std::string> out{page.first_seq, page.next_seq, {}};
  out.messages.reserve(page.messages.size());
  for (auto& m : page.messages)
    out.messages.emplace_back(m.seq, std::move(m.message));
  return out;
}

namespace {

struct topic_reader {
  std::mutex mutex;
  std::function<void(std::uint64_t, const std::string&)> deliver;
  bool live = false;      // history replayed: events go straight out
  std::uint64_t next = 0; // lowest seq not yet delivered
  std::vector<std::pair<std::uint64_t, std::string>> buffered;

  void offer(std::uint64_t seq, const std::string& bytes) {
    if (seq >= next) {
      deliver(seq, bytes);
      next = seq + 1;
    }
  }
};

} // namespace

result<subscription>
topic_core::subscribe(std::uint64_t from_seq,
                      std::function<void(std::uint64_t, const std::string&)> f) const {
  auto reader = std::make_shared<topic_reader>();
  reader->deliver = std::move(f);
  reader->live = from_seq == 0;
  auto sub = ctx->watch(
      id,
      [reader](const protocol::store_event& e) {
        if (e.kind != protocol::event_kind::topic_published)
          return;
        std::lock_guard guard{reader->mutex};
        if (reader->live)
          reader->offer(e.number, e.payload);
        else
          reader->buffered.emplace_back(e.number, e.payload);
      },
      std::nullopt);
  if (!sub || from_seq == 0)
    return sub;
  {
    std::lock_guard guard{reader->mutex};
    reader->next = from_seq;
  }
  // No lock across a read: the watch's events come on a thread of the actor
  // system that answers the read, and one waiting here for the lock held
  // that thread until the read timed out (every time where the system has
  // one scheduler thread, as a raft member's has on two cores).
  for (;;) {
    std::uint64_t next = 0;
    {
      std::lock_guard guard{reader->mutex};
      next = reader->next;
    }
    auto page =
        ctx->read(protocol::store_read{protocol::read_kind::topic, id, next, 256}, std::nullopt);
    if (!page)
      return std::move(page).error();
    auto& messages = std::get<protocol::topic_page>(*page).messages;
    if (messages.empty())
      break;
    std::lock_guard guard{reader->mutex};
    for (const auto& m : messages)
      reader->offer(m.seq, m.message);
  }
  std::lock_guard guard{reader->mutex};
  for (const auto& [seq, bytes] : reader->buffered)
    reader->offer(seq, bytes);
  reader->buffered.clear();
  reader->live = true;
  return sub;
}

} // namespace dref::detail
