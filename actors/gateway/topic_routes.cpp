// POST and GET /v1/topics/{id} (docs/http.md).
#include "router.hpp"
#include "value_json.hpp"

#include <nlohmann/json.hpp>

namespace dref::gateway {

namespace {

using nlohmann::json;

constexpr std::uint32_t default_page = 100;
constexpr std::uint32_t max_page = 1000;

} // namespace

reply router::publish_to_topic(const std::string& id, const json& body) {
  auto bytes = bytes_in(body, "message");
  if (auto* bad = std::get_if<reply>(&bytes))
    return std::move(*bad);
  auto seq = context_.make_topic<std::string, raw_codec>(manual_id(id))
                 .try_publish(std::get<std::string>(bytes));
  if (!seq)
    return error_reply(seq.error());
  return json_reply(200, {{"id", id}, {"seq", *seq}});
}

// 410 with the first seq still retained, where a reader can go on.
reply router::topic_gone(const std::string& id, const error& err) {
  json gone{{"error", {{"code", "compacted"}, {"message", err.message}}}};
  if (auto now = context_.make_topic<std::string, raw_codec>(manual_id(id)).try_read(0, 1))
    gone["first_seq"] = now->first_seq;
  return json_reply(410, gone);
}

reply router::read_topic(const std::string& id, std::optional<std::string_view> from,
                         std::optional<std::string_view> limit) {
  std::uint64_t from_seq = 0;
  if (from) {
    auto parsed = whole_number(*from);
    if (!parsed)
      return error_reply(400, "invalid_argument", "from is a sequence number");
    from_seq = *parsed;
  }
  std::uint32_t page = default_page;
  if (limit) {
    auto parsed = whole_number(*limit);
    if (!parsed || *parsed == 0 || *parsed > max_page)
      return error_reply(400, "invalid_argument",
                         "limit is a number from 1 to " + std::to_string(max_page));
    page = static_cast<std::uint32_t>(*parsed);
  }
  auto topic = context_.make_topic<std::string, raw_codec>(manual_id(id));
  auto read = topic.try_read(from_seq, page);
  if (!read)
    return read.error().code == errc::compacted ? topic_gone(id, read.error())
                                                : error_reply(read.error());
  json messages = json::array();
  for (const auto& [seq, bytes] : read->messages) {
    json message{{"seq", seq}};
    put_bytes(message, "message", bytes);
    messages.push_back(std::move(message));
  }
  return json_reply(200, {{"id", id},
                          {"first_seq", read->first_seq},
                          {"next_seq", read->next_seq},
                          {"messages", std::move(messages)}});
}

} // namespace dref::gateway
