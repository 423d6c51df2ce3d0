// What the redis backend makes of Redis's answers: the store script's
// replies (store_replies.cpp) and the change-event stream, starting from
// the bytes on the socket. An input is RESP; hiredis' reader turns it into
// a reply tree as the client does, from_hiredis copies it, and the parsers
// must answer an error for anything they do not expect, never throw.
//
// hiredis 0.14 allocates an array of the declared size before reading its
// elements; the client trusts its own Redis server with that, but the fuzzer
// must not ask for gigabytes, so inputs whose declared sizes exceed the
// bytes that follow are refused before hiredis sees them (resp_tree below).

#include "harness.hpp"
#include "redis/store_replies.hpp"

#include <charconv>
#include <hiredis/hiredis.h>

namespace dref::fuzz {

using redis::reply;
using namespace protocol;

namespace {

// --- RESP -------------------------------------------------------------------

void append_resp(std::string& out, const reply& r) {
  switch (r.type) {
    case reply::kind::nil:
      out += "$-1\r\n";
      return;
    case reply::kind::integer:
      out += ":" + std::to_string(r.integer) + "\r\n";
      return;
    case reply::kind::text:
      out += "$" + std::to_string(r.text.size()) + "\r\n" + r.text + "\r\n";
      return;
    case reply::kind::status:
      out += "+" + r.text + "\r\n";
      return;
    case reply::kind::error:
      out += "-" + r.text + "\r\n";
      return;
    case reply::kind::array:
      out += "*" + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& e : r.elements)
        append_resp(out, e);
      return;
  }
}

std::string resp(const reply& r) {
  std::string out;
  append_resp(out, r);
  return out;
}

// A strict RESP reader of our own, used only to refuse inputs whose sizes
// could make hiredis allocate without bound, and by the tree mutations.
std::optional<reply> resp_tree(std::string_view& in, int depth = 0) {
  if (depth > 6 || in.empty())
    return std::nullopt;
  auto eol = in.find("\r\n");
  if (eol == std::string_view::npos)
    return std::nullopt;
  char type = in[0];
  std::string_view line = in.substr(1, eol - 1);
  in.remove_prefix(eol + 2);
  auto count = [&]() -> std::optional<long long> {
    long long n = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
    if (ec != std::errc{} || end != line.data() + line.size() || n < -1 ||
        n > static_cast<long long>(in.size()))
      return std::nullopt;
    return n;
  };
  reply out;
  switch (type) {
    case '+':
    case '-':
      out.type = type == '+' ? reply::kind::status : reply::kind::error;
      out.text = std::string{line};
      return out;
    case ':': {
      auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out.integer);
      if (ec != std::errc{} || end != line.data() + line.size())
        return std::nullopt;
      out.type = reply::kind::integer;
      return out;
    }
    case '$': {
      auto n = count();
      if (!n)
        return std::nullopt;
      if (*n < 0)
        return out; // nil
      auto size = static_cast<std::size_t>(*n);
      if (in.size() < size + 2 || in.substr(size, 2) != "\r\n")
        return std::nullopt;
      out.type = reply::kind::text;
      out.text = std::string{in.substr(0, size)};
      in.remove_prefix(size + 2);
      return out;
    }
    case '*': {
      auto n = count();
      if (!n)
        return std::nullopt;
      if (*n < 0)
        return out; // nil
      out.type = reply::kind::array;
      for (long long i = 0; i < *n; ++i) {
        auto element = resp_tree(in, depth + 1);
        if (!element)
          return std::nullopt;
        out.elements.push_back(std::move(*element));
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<reply> whole_tree(std::string_view input) {
  auto tree = resp_tree(input);
  if (!tree || !input.empty())
    return std::nullopt;
  return tree;
}

// The input as the client sees it: hiredis' reader, then from_hiredis
// (measured: dref's copy of the tree, not hiredis' own).
std::optional<reply> through_hiredis(std::string_view input, probe& p) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, input.data(), input.size());
  void* raw = nullptr;
  std::optional<reply> out;
  if (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
    out = p.measured(input.size(),
                     [&] { return redis::from_hiredis(*static_cast<redisReply*>(raw)); });
    freeReplyObject(raw);
  }
  redisReaderFree(reader);
  return out;
}

// --- tree mutations (the structured mutation of these targets) ----------------------------

reply* random_node(reply& root, rng& r) {
  reply* node = &root;
  while (node->type == reply::kind::array && !node->elements.empty() && r.chance(70))
    node = &node->elements[r.below(node->elements.size())];
  return node;
}

const std::vector<std::string>& interesting_texts() {
  static const std::vector<std::string> texts{"",
                                              "0",
                                              "1",
                                              "-1",
                                              "+1",
                                              " 1",
                                              "1 ",
                                              "0x10",
                                              "1e3",
                                              "007",
                                              "18446744073709551615",
                                              "18446744073709551616",
                                              "99999999999999999999999",
                                              "abc",
                                              "2",
                                              "3",
                                              "16",
                                              "17",
                                              "255",
                                              "0-0",
                                              "1-1",
                                              "1700000000000-0",
                                              "-",
                                              "1-",
                                              "-1",
                                              "1-x",
                                              "x-1",
                                              "1--1",
                                              "1-2-3",
                                              "18446744073709551616-0",
                                              "0-18446744073709551616",
                                              "DREF",
                                              "DREF ",
                                              "DREF not_a_code x",
                                              "DREF version_conflict ref 'a' is at 7",
                                              "WRONGTYPE x",
                                              "OOM",
                                              "created",
                                              "written",
                                              "ran",
                                              "removed",
                                              "session",
                                              "lock",
                                              "released",
                                              "published",
                                              "delivered",
                                              "delay",
                                              "done",
                                              "value",
                                              "topic",
                                              "promise",
                                              "q",
                                              "k",
                                              "i",
                                              "o",
                                              "n",
                                              "pt",
                                              "p",
                                              "ov",
                                              "s",
                                              "w",
                                              "x",
                                              std::string(40, 'z')};
  return texts;
}

void mutate_tree(reply& root, rng& r) {
  reply* node = random_node(root, r);
  switch (r.below(6)) {
    case 0: { // another type, same content where it fits
      static constexpr reply::kind kinds[] = {reply::kind::nil,   reply::kind::integer,
                                              reply::kind::text,  reply::kind::status,
                                              reply::kind::error, reply::kind::array};
      node->type = kinds[r.below(6)];
      if (node->type != reply::kind::array)
        node->elements.clear();
      break;
    }
    case 1:
      node->type = reply::kind::text;
      node->elements.clear();
      node->text = interesting_texts()[r.below(interesting_texts().size())];
      break;
    case 2:
      node->type = reply::kind::integer;
      node->elements.clear();
      node->integer =
          std::vector<std::int64_t>{0,         1,
                                    2,         3,
                                    16,        17,
                                    -1,        INT64_MIN,
                                    INT64_MAX, static_cast<std::int64_t>(r.next())}[r.below(10)];
      break;
    default:
      if (node->type != reply::kind::array || node->elements.empty())
        break;
      if (r.chance(40)) {
        node->elements.erase(node->elements.begin() +
                             static_cast<std::ptrdiff_t>(r.below(node->elements.size())));
      } else if (r.chance(50)) {
        auto copy = node->elements[r.below(node->elements.size())];
        node->elements.insert(node->elements.begin() +
                                  static_cast<std::ptrdiff_t>(r.below(node->elements.size() + 1)),
                              std::move(copy));
      } else {
        std::swap(node->elements[r.below(node->elements.size())],
                  node->elements[r.below(node->elements.size())]);
      }
  }
}

void mutate_resp(std::string& bytes, rng& r) {
  auto tree = whole_tree(bytes);
  if (!tree)
    return;
  mutate_tree(*tree, r);
  bytes = resp(*tree);
}

// --- seeds --------------------------------------------------------------------

reply text(std::string s) {
  return reply{reply::kind::text, 0, std::move(s), {}};
}
reply integer(std::int64_t n) {
  return reply{reply::kind::integer, n, {}, {}};
}
reply array(std::vector<reply> elements) {
  return reply{reply::kind::array, 0, {}, std::move(elements)};
}
reply error_reply(std::string s) {
  return reply{reply::kind::error, 0, std::move(s), {}};
}

std::vector<std::string> command_seeds() {
  std::vector<reply> answers{
      array({text("created"), integer(1), integer(5), text("")}),
      array({text("written"), integer(6)}),
      array({text("ran"), integer(7), text("12345678")}),
      array({text("removed"), integer(1), integer(7)}),
      array({text("session"), text("1700000060000")}),
      array({text("lock"), integer(1), integer(42), integer(1), integer(0)}),
      array({text("released"), integer(0), integer(1)}),
      array({text("published"), integer(3)}),
      array({text("delivered"), integer(0), integer(4), text("earlier")}),
      array({text("delay"), integer(2), text("s1"), text("out")}),
      array({text("done")}),
      error_reply("DREF version_conflict ref 'a' is at version 7, expected 5"),
      error_reply("WRONGTYPE Operation against a key holding the wrong kind of value"),
  };
  std::vector<std::string> out;
  for (const auto& a : answers)
    out.push_back(resp(a));
  return out;
}

std::vector<std::string> read_seeds() {
  std::vector<reply> answers{
      array({text("value"), integer(9), text("v"), text("7"), text("session-1"), text("k"),
             text("v")}),
      array({text("lock"), integer(9), integer(1), text("s1"), text("t1"), integer(42), integer(1),
             text("s2"), text("t2")}),
      array({text("topic"), integer(9), integer(3), integer(6), integer(3), text("a"), integer(4),
             text("b")}),
      array({text("promise"), integer(9), integer(1), integer(4), text("p")}),
      array({text("delay"), integer(9), integer(1), text("s1"), integer(0), text("")}),
      array({text("session"), integer(9), text("5000"), text("1700000060000")}),
      array({text("list"), integer(9), integer(8), integer(1), text("a/1"), integer(3), text("a/2"),
             integer(8)}),
      error_reply("DREF compacted topic 't': messages 1..2 were dropped by retention"),
  };
  std::vector<std::string> out;
  for (const auto& a : answers)
    out.push_back(resp(a));
  return out;
}

reply stream_entry(std::string id, std::vector<std::string> fields) {
  std::vector<reply> kv;
  for (auto& f : fields)
    kv.push_back(text(std::move(f)));
  return array({text(std::move(id)), array(std::move(kv))});
}

std::vector<std::string> event_seeds() {
  auto written = stream_entry("1700000000000-0", {"q", "1", "k", "1", "i", "ref/a", "n", "5", "o",
                                                  "4", "pt", "1", "p", "new", "ov", "old"});
  auto lock = stream_entry("1700000000000-1", {"q", "2", "k", "7", "i", "lock/x", "n", "6", "s",
                                               "s1", "w", "t1", "x", "6"});
  auto newer = stream_entry("1700000000001-0", {"q", "3", "k", "99", "i", "ref/a", "n", "7"});
  auto range = array({written, lock, newer});
  auto read = array({array({text("dref:events"), range})});
  return {resp(range), resp(read), resp(array({})), "$-1\r\n"};
}

// --- checks ---------------------------------------------------------------------

// What every redis target does first: the RESP through the client's path.
// Inputs that are not RESP (to our reader or to hiredis) are refused.
std::optional<reply> parse_input(std::string_view input, probe& p) {
  if (!whole_tree(input))
    return std::nullopt;
  return through_hiredis(input, p);
}

// The parsers understood the answer: a value, or an error the answer
// stands for (not "malformed", which they answer as errc::internal).
bool understood(const std::optional<dref::error>& err) {
  return !err || err->code != errc::internal;
}

void check_event(const redis::stream_event& e, probe& p) {
  // Where the reader resumes: always a real stream id, unusable entry or not.
  auto position = redis::parse_stream_id(e.entry_id);
  if (!position || *position != e.position)
    p.fail("an event at stream id '" + e.entry_id + "' that does not parse as its position");
  if (!e.usable)
    return;
  if (e.event.kind > event_kind::delay_failed) // the newest kind
    p.fail("a usable event of unknown kind " + std::to_string(static_cast<int>(e.event.kind)));
  if (e.event.payload_type > payload_kind::delta)
    p.fail("an event with payload type " + std::to_string(static_cast<int>(e.event.payload_type)));
}

target command_target() {
  target t;
  t.group = "redis";
  t.name = "redis.command_reply";
  t.seeds = command_seeds();
  t.check = [](std::string_view input, probe& p) {
    auto tree = parse_input(input, p);
    if (!tree)
      return;
    static const std::vector<store_command> commands{
        cmd_set{"ref/a", "v"}, cmd_lock_acquire{"lock/x", "s1", "t1", true},
        cmd_publish{"topic/t", "m"}, cmd_delay_claim{"delay/d", "s1"}, cmd_expire_due{}};
    for (const auto& command : commands) {
      auto out = p.measured(input.size(), [&] { return redis::command_reply(*tree, command); });
      if (out.error && out.error->message.empty())
        p.fail("an error without a message");
      if (understood(out.error))
        p.accepted();
      if (auto* delay = std::get_if<res_delay>(&out.value);
          delay && delay->state > delay_claim_state::requested)
        p.fail("a delay answer in an unknown state");
    }
  };
  t.structured = mutate_resp;
  t.weight = 1.5;
  return t;
}

target read_target() {
  target t;
  t.group = "redis";
  t.name = "redis.read_reply";
  t.seeds = read_seeds();
  t.check = [](std::string_view input, probe& p) {
    auto tree = parse_input(input, p);
    if (!tree)
      return;
    for (int kind = 0; kind <= 6; ++kind) {
      store_read request{static_cast<read_kind>(kind), "id", 0, 0};
      auto out = p.measured(input.size(), [&] { return redis::read_reply(*tree, request); });
      if (understood(out.error))
        p.accepted();
      if (out.error)
        continue;
      if (out.value.index() != static_cast<std::size_t>(kind))
        p.fail("a read of kind " + std::to_string(kind) + " answered alternative " +
               std::to_string(out.value.index()));
    }
  };
  t.structured = mutate_resp;
  t.weight = 1.5;
  return t;
}

target events_target() {
  target t;
  t.group = "redis";
  t.name = "redis.events";
  t.seeds = event_seeds();
  t.check = [](std::string_view input, probe& p) {
    auto tree = parse_input(input, p);
    if (!tree)
      return;
    for (auto parse : {&redis::range_events, &redis::read_events}) {
      auto events = p.measured(input.size(), [&] { return parse(*tree); });
      if (!events)
        continue;
      p.accepted();
      for (const auto& e : *events)
        check_event(e, p);
    }
  };
  t.structured = mutate_resp;
  t.weight = 2;
  return t;
}

// Stream ids as the backend compares them (where a watch starts against
// where the reader is); the input is the id's text, not RESP.
target stream_id_target() {
  target t;
  t.group = "redis";
  t.name = "redis.stream_id";
  t.seeds = {"0-0", "1700000000000-5", "18446744073709551615-18446744073709551615"};
  t.check = [](std::string_view input, probe& p) {
    auto id = p.measured(input.size(), [&] { return redis::parse_stream_id(input); });
    if (!id) {
      if (id.error().code != errc::internal || id.error().message.empty())
        p.fail("refused with " + id.error().to_string());
      return;
    }
    p.accepted();
    auto dash = input.find('-');
    if (input.find_first_not_of("0123456789-") != std::string_view::npos || dash == 0 ||
        dash + 1 >= input.size() || input.find('-', dash + 1) != std::string_view::npos)
      p.fail("accepted an id that is not two decimal numbers and a dash");
    auto again = redis::parse_stream_id(std::to_string(id->ms) + "-" + std::to_string(id->seq));
    if (!again || *again != *id)
      p.fail("the parsed id reads back as another");
  };
  t.weight = 0.5;
  return t;
}

} // namespace

void add_redis_targets(std::vector<target>& out) {
  out.push_back(command_target());
  out.push_back(read_target());
  out.push_back(events_target());
  out.push_back(stream_id_target());
}

} // namespace dref::fuzz
