#include "redis/store_replies.hpp"

#include <charconv>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace dref::redis {

using namespace protocol;

namespace {

// Malformed answers (another script under our SHA, a bug) throw this; the
// public functions turn it into errc::internal.
struct malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::uint64_t number(const reply& r) {
  if (r.type == reply::kind::integer && r.integer >= 0)
    return static_cast<std::uint64_t>(r.integer);
  if (r.type == reply::kind::text)
    if (auto value = parse_decimal(r.text))
      return *value;
  throw malformed("expected a number");
}

const std::string& text(const reply& r) {
  if (r.type != reply::kind::text)
    throw malformed("expected a string");
  return r.text;
}

// Reads an answer's fields in order.
struct fields {
  const std::vector<reply>& items;
  std::size_t at = 0;
  const reply& next() {
    if (at >= items.size())
      throw malformed("too few fields");
    return items[at++];
  }
  std::uint64_t num() { return number(next()); }
  bool flag() { return num() != 0; }
  std::string str() { return text(next()); }
  bool more() const { return at < items.size(); }
};

std::optional<errc> errc_named(std::string_view name) {
  static const auto names = [] {
    std::map<std::string, errc, std::less<>> out;
    for (int i = static_cast<int>(errc::invalid_argument); i <= static_cast<int>(errc::internal);
         ++i)
      out.emplace(std::string{to_string(static_cast<errc>(i))}, static_cast<errc>(i));
    return out;
  }();
  auto it = names.find(name);
  if (it == names.end())
    return std::nullopt;
  return it->second;
}

std::string subject_of(const store_command& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, cmd_fenced>)
          return std::visit([](const auto& w) { return "ref '" + w.id + "'"; }, c.write);
        else if constexpr (std::is_same_v<C, cmd_txn>)
          return "a transaction";
        else if constexpr (requires { c.lock; })
          return "lock '" + c.lock + "'";
        else if constexpr (requires { c.topic; })
          return "topic '" + c.topic + "'";
        else if constexpr (std::is_same_v<C, cmd_promise_deliver>)
          return "promise '" + c.id + "'";
        else if constexpr (requires {
                             c.id;
                             c.session;
                           })
          return "delay '" + c.id + "'";
        else if constexpr (requires { c.id; })
          return "ref '" + c.id + "'";
        else if constexpr (requires { c.session; })
          return "session '" + c.session + "'";
        else
          return "the sessions";
      },
      command);
}

std::string subject_of(const store_read& request) {
  static const char* kinds[] = {"ref",   "lock",    "topic",      "promise",
                                "delay", "session", "list prefix"};
  auto kind = static_cast<std::size_t>(request.kind);
  return std::string{kind < std::size(kinds) ? kinds[kind] : "id"} + " '" + request.id + "'";
}

store_result command_result(const reply& answer) {
  if (answer.type != reply::kind::array)
    throw malformed("expected an array");
  fields f{answer.elements};
  auto kind = f.str();
  if (kind == "created") {
    res_created r;
    r.created = f.flag();
    r.version = f.num();
    r.value = f.str();
    return r;
  }
  if (kind == "written")
    return res_written{f.num()};
  if (kind == "ran") {
    res_ran r;
    r.version = f.num();
    r.value = f.str();
    return r;
  }
  if (kind == "removed") {
    res_removed r;
    r.existed = f.flag();
    r.old_version = f.num();
    return r;
  }
  if (kind == "session")
    return res_session{f.num()};
  if (kind == "lock") {
    res_lock r;
    r.granted = f.flag();
    r.token = f.num();
    r.count = static_cast<std::uint32_t>(f.num());
    r.position = f.num();
    return r;
  }
  if (kind == "released") {
    res_released r;
    r.remaining = static_cast<std::uint32_t>(f.num());
    r.passed_on = f.flag();
    return r;
  }
  if (kind == "published")
    return res_published{f.num()};
  if (kind == "delivered") {
    res_delivered r;
    r.first = f.flag();
    r.version = f.num();
    r.value = f.str();
    return r;
  }
  if (kind == "delay") {
    res_delay r;
    auto state = f.num();
    if (state > static_cast<std::uint64_t>(delay_claim_state::requested)) // the newest
      throw malformed("unknown delay state");
    r.state = static_cast<delay_claim_state>(state);
    r.runner = f.str();
    r.value = f.str();
    return r;
  }
  if (kind == "done")
    return res_done{};
  if (kind == "txn") {
    res_txn r;
    r.committed = f.flag();
    r.version = f.num();
    r.failed_compare = static_cast<std::uint32_t>(f.num());
    r.found_version = f.num();
    return r;
  }
  throw malformed("unknown answer '" + kind + "'");
}

read_result read_value(fields& f, read_kind kind) {
  switch (kind) {
    case read_kind::value: {
      value_state v;
      v.value = f.str();
      v.version = f.num();
      v.owner = f.str();
      while (f.more()) {
        auto key = f.str();
        v.metadata[key] = f.str();
      }
      return v;
    }
    case read_kind::lock: {
      lock_state l;
      l.held = f.flag();
      l.session = f.str();
      l.owner = f.str();
      l.token = f.num();
      l.count = static_cast<std::uint32_t>(f.num());
      while (f.more()) {
        lock_waiter w;
        w.session = f.str();
        w.owner = f.str();
        l.waiters.push_back(std::move(w));
      }
      return l;
    }
    case read_kind::topic: {
      topic_page page;
      page.first_seq = f.num();
      page.next_seq = f.num();
      while (f.more()) {
        topic_message m;
        m.seq = f.num();
        m.message = f.str();
        page.messages.push_back(std::move(m));
      }
      return page;
    }
    case read_kind::list: {
      list_page page;
      page.revision = f.num();
      page.more = f.flag();
      while (f.more()) {
        listed_id listed;
        listed.id = f.str();
        listed.version = f.num();
        page.ids.push_back(std::move(listed));
      }
      return page;
    }
    case read_kind::promise: {
      promise_state p;
      p.delivered = f.flag();
      p.version = f.num();
      p.value = f.str();
      return p;
    }
    case read_kind::delay: {
      delay_state d;
      d.claimed = f.flag();
      d.runner = f.str();
      d.completed = f.flag();
      d.value = f.str();
      return d;
    }
    case read_kind::session: {
      session_state s;
      s.ttl_ms = f.num();
      s.deadline_ms = f.num();
      return s;
    }
    case read_kind::query: // refused before it is sent (redis_backend.cpp)
      break;
  }
  throw malformed("unknown read kind");
}

error malformed_error(const std::string& subject, const char* what) {
  return error{errc::internal,
               "the dref script's answer for " + subject + " is malformed (" + what + ")"};
}

} // namespace

error error_from_reply(const reply& answer, const std::string& subject) {
  const std::string& t = answer.text;
  auto word_end = t.find(' ');
  std::string_view word = std::string_view{t}.substr(0, word_end);
  if (word == "DREF" && word_end != std::string::npos) {
    auto rest = std::string_view{t}.substr(word_end + 1);
    auto name_end = rest.find(' ');
    if (auto code = errc_named(rest.substr(0, name_end))) {
      std::string message{name_end == std::string_view::npos ? std::string_view{}
                                                             : rest.substr(name_end + 1)};
      // Errors are read by people: one without a message still names what.
      if (message.empty())
        message = "the dref script refused " + subject + " without saying why";
      return error{*code, std::move(message)};
    }
  }
  if (word == "WRONGTYPE")
    return error{errc::wrong_type, "a Redis key of " + subject +
                                       " holds another type of data (written by something other "
                                       "than dref?): " +
                                       t};
  if (word == "OOM")
    return error{errc::limit_exceeded,
                 "Redis refused to write " + subject + ": it is out of memory (maxmemory): " + t};
  if (word == "LOADING" || word == "BUSY" || word == "READONLY" || word == "MASTERDOWN" ||
      word == "CLUSTERDOWN" || word == "TRYAGAIN" || word == "NOREPLICAS")
    return error{errc::unavailable, "Redis cannot serve " + subject + " right now: " + t};
  return error{errc::internal, "Redis refused the dref script for " + subject + ": " + t};
}

store_reply command_reply(const result<reply>& answer, const store_command& command) {
  store_reply out;
  out.value = res_done{};
  if (!answer) {
    out.error = answer.error();
    return out;
  }
  if (answer->is_error()) {
    out.error = error_from_reply(*answer, subject_of(command));
    return out;
  }
  try {
    out.value = command_result(*answer);
  } catch (const malformed& m) {
    out.error = malformed_error(subject_of(command), m.what());
  }
  return out;
}

store_read_reply read_reply(const result<reply>& answer, const store_read& request) {
  store_read_reply out;
  if (!answer) {
    out.error = answer.error();
    return out;
  }
  if (answer->is_error()) {
    out.error = error_from_reply(*answer, subject_of(request));
    return out;
  }
  try {
    if (answer->type != reply::kind::array)
      throw malformed("expected an array");
    fields f{answer->elements};
    (void)f.str(); // the kind, implied by the request
    out.applied_index = f.num();
    out.value = read_value(f, request.kind);
  } catch (const malformed& m) {
    out.error = malformed_error(subject_of(request), m.what());
  }
  return out;
}

namespace {

void read_event_fields(stream_event& out, const std::vector<reply>& kv);

stream_event entry_event(const reply& entry) {
  if (entry.type != reply::kind::array || entry.elements.size() != 2 ||
      entry.elements[1].type != reply::kind::array)
    throw malformed("expected a stream entry");
  stream_event out;
  out.entry_id = text(entry.elements[0]);
  auto position = parse_stream_id(out.entry_id);
  if (!position) // where the reader would resume: not an entry to step over
    throw malformed("a stream entry id that is not <ms>-<seq>");
  out.position = *position;
  const auto& kv = entry.elements[1].elements;
  try {
    read_event_fields(out, kv);
  } catch (const malformed&) {
    out.usable = false; // written by something else: skipped, the stream goes on
  }
  return out;
}

void read_event_fields(stream_event& out, const std::vector<reply>& kv) {
  auto& e = out.event;
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
    const std::string& name = text(kv[i]);
    const reply& value = kv[i + 1];
    if (name == "q")
      out.number = number(value);
    else if (name == "k") {
      auto kind = number(value);
      if (kind > static_cast<std::uint64_t>(event_kind::delay_failed)) // the newest kind
        out.usable = false; // a newer dref's: skipped, the stream goes on
      else
        e.kind = static_cast<event_kind>(kind);
    } else if (name == "i")
      e.id = text(value);
    else if (name == "o")
      e.old_version = number(value);
    else if (name == "n")
      e.new_version = number(value);
    else if (name == "pt")
      e.payload_type = static_cast<payload_kind>(number(value) > 2 ? 0 : number(value));
    else if (name == "p")
      e.payload = text(value);
    else if (name == "ov")
      e.old_value = text(value);
    else if (name == "s")
      e.session = text(value);
    else if (name == "w")
      e.owner = text(value);
    else if (name == "x")
      e.number = number(value);
  }
}

} // namespace

// Digits only: std::stoull would also take "-1" (as 2^64 - 1), " 7",
// "7abc" and throw on the rest.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

result<stream_id> parse_stream_id(std::string_view text) {
  auto dash = text.find('-');
  if (dash != std::string_view::npos)
    if (auto ms = parse_decimal(text.substr(0, dash)))
      if (auto seq = parse_decimal(text.substr(dash + 1)))
        return stream_id{*ms, *seq};
  return error{errc::internal, "'" + std::string{text} + "' is not a stream entry id"};
}

result<std::vector<stream_event>> range_events(const reply& answer) {
  std::vector<stream_event> out;
  if (answer.is_error())
    return error_from_reply(answer, "the change events");
  try {
    if (answer.type != reply::kind::array)
      throw malformed("expected an array");
    // Exactly one event per entry: growing by doubling would allocate up to
    // four times what the answer holds.
    out.reserve(answer.elements.size());
    for (const auto& entry : answer.elements)
      out.push_back(entry_event(entry));
  } catch (const malformed& m) {
    return error{errc::internal,
                 std::string{"the change-event stream holds a malformed entry ("} + m.what() + ")"};
  }
  return out;
}

result<std::vector<stream_event>> read_events(const reply& answer) {
  if (answer.type == reply::kind::nil)
    return std::vector<stream_event>{};
  // [[stream, entries]]: one stream was asked for.
  if (answer.type == reply::kind::array && answer.elements.size() == 1 &&
      answer.elements[0].type == reply::kind::array && answer.elements[0].elements.size() == 2)
    return range_events(answer.elements[0].elements[1]);
  return range_events(answer);
}

} // namespace dref::redis
