// Topics: an ordered log per topic with bounded retention.
#include "context.hpp"

namespace dref::store {

using namespace protocol;

namespace {

std::uint64_t effective(std::uint64_t configured, std::uint64_t limit) {
  return configured == 0 ? limit : configured;
}

} // namespace

void store::enforce_retention(topic_entry& topic) {
  std::uint64_t max_messages = effective(topic.max_messages, limits_.topic_max_messages);
  std::uint64_t max_bytes = effective(topic.max_bytes, limits_.topic_max_bytes);
  while (!topic.messages.empty() &&
         (topic.messages.size() > max_messages || topic.bytes > max_bytes)) {
    topic.bytes -= topic.messages.front().message.size();
    topic.messages.pop_front();
  }
}

result<store_result> store::on(context& ctx, const cmd_publish& cmd) {
  auto it = state_.topics.find(cmd.topic);
  std::uint64_t max_bytes =
      effective(it == state_.topics.end() ? 0 : it->second.max_bytes, limits_.topic_max_bytes);
  if (cmd.message.size() > max_bytes)
    return error{errc::limit_exceeded, "message of " + std::to_string(cmd.message.size()) +
                                           " bytes exceeds the retention of topic '" + cmd.topic +
                                           "' (" + std::to_string(max_bytes) + " bytes)"};
  auto& topic = state_.topics[cmd.topic];
  std::uint64_t seq = topic.next_seq++;
  topic.messages.push_back(topic_message{seq, cmd.message});
  topic.bytes += cmd.message.size();
  enforce_retention(topic);
  auto& e = ctx.emit(event_kind::topic_published, cmd.topic);
  e.old_version = seq - 1;
  e.new_version = seq;
  e.number = seq;
  e.payload_type = payload_kind::full;
  e.payload = cmd.message;
  return res_published{seq};
}

result<store_result> store::on(context&, const cmd_topic_configure& cmd) {
  auto& topic = state_.topics[cmd.topic];
  topic.max_messages = cmd.max_messages;
  topic.max_bytes = cmd.max_bytes;
  enforce_retention(topic);
  return res_done{};
}

topic_page store::topic_bounds(std::string_view id) const {
  topic_page page;
  auto it = state_.topics.find(id);
  if (it == state_.topics.end()) {
    page.first_seq = 1;
    page.next_seq = 1;
    return page;
  }
  page.next_seq = it->second.next_seq;
  page.first_seq = it->second.messages.empty() ? page.next_seq : it->second.messages.front().seq;
  return page;
}

result<topic_page> store::read_topic(std::string_view id, std::uint64_t from_seq,
                                     std::size_t max_messages) const {
  topic_page page = topic_bounds(id);
  if (from_seq == 0)
    from_seq = page.first_seq;
  if (from_seq < page.first_seq)
    return error{errc::compacted, "topic '" + std::string{id} + "': messages " +
                                      std::to_string(from_seq) + ".." +
                                      std::to_string(page.first_seq - 1) +
                                      " were dropped by retention; the first available is " +
                                      std::to_string(page.first_seq)};
  auto it = state_.topics.find(id);
  if (it == state_.topics.end() || from_seq >= page.next_seq)
    return page;
  const auto& messages = it->second.messages;
  for (std::size_t i = from_seq - page.first_seq;
       i < messages.size() && page.messages.size() < max_messages; ++i)
    page.messages.push_back(messages[i]);
  return page;
}

} // namespace dref::store
