// dref's store in Lua against the store itself: the same proposals and
// reads, sent to store::store and to the script on a real redis-server,
// must give the same answers and refusals in the same words (versions and
// tokens aside: Redis counts only writes). Also the script's own duties:
// the retry cache bounded as the store bounds it, a key of another type
// stays untouched, the change-event stream stays near its bound (retries
// answered once: redis_retry_tests.cpp).
#include "dref/store/input_checks.hpp"
#include "dref/store/named_commands.hpp"
#include "dref/store/reply_cache.hpp"
#include "dref/store/store.hpp"
#include "redis/store_replies.hpp"
#include "redis/store_script.hpp"
#include "redis_test_client.hpp"
#include "script_systems.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <thread>
#include <tuple>

using namespace dref;
using namespace dref::protocol;
using test::must;
using test::redis_system;
using test::store_system;
using test::system_under_test;

namespace {

// Messages that carry a version or token differ in their numbers only.
bool numbers_differ(errc code) {
  return code == errc::version_conflict || code == errc::stale_token;
}

// A message with every run of digits as '#': refusals that name tokens
// must still read the same.
std::string without_numbers(const std::string& message) {
  std::string out;
  for (char c : message)
    if (!(c >= '0' && c <= '9'))
      out += c;
    else if (out.empty() || out.back() != '#')
      out += '#';
  return out;
}

void same_error(const std::optional<error>& a, const std::optional<error>& b,
                const std::string& step) {
  BOOST_TEST_CONTEXT(step) {
    BOOST_TEST_REQUIRE(a.has_value() == b.has_value());
    if (!a)
      return;
    BOOST_TEST(to_string(a->code) == to_string(b->code));
    if (a->code == errc::not_holder)
      BOOST_TEST(without_numbers(a->message) == without_numbers(b->message));
    else if (!numbers_differ(a->code))
      BOOST_TEST(a->message == b->message);
  }
}

// Results compared without versions and tokens.
void same_result(const store_result& a, const store_result& b, const std::string& step) {
  BOOST_TEST_CONTEXT(step) {
    BOOST_TEST_REQUIRE(a.index() == b.index());
    std::visit(
        [&](const auto& x) {
          using R = std::decay_t<decltype(x)>;
          const auto& y = std::get<R>(b);
          if constexpr (std::is_same_v<R, res_created>) {
            BOOST_TEST(x.created == y.created);
            BOOST_TEST(x.value == y.value);
          } else if constexpr (std::is_same_v<R, res_ran>) {
            BOOST_TEST(x.value == y.value);
          } else if constexpr (std::is_same_v<R, res_removed>) {
            BOOST_TEST(x.existed == y.existed);
          } else if constexpr (std::is_same_v<R, res_lock>) {
            BOOST_TEST(x.granted == y.granted);
            BOOST_TEST(x.count == y.count);
            BOOST_TEST(x.position == y.position);
          } else if constexpr (std::is_same_v<R, res_released> ||
                               std::is_same_v<R, res_published> || std::is_same_v<R, res_delay>) {
            BOOST_TEST((x == y));
          } else if constexpr (std::is_same_v<R, res_delivered>) {
            BOOST_TEST(x.first == y.first);
            BOOST_TEST(x.value == y.value);
          } else if constexpr (std::is_same_v<R, res_txn>) {
            BOOST_TEST(x.committed == y.committed);
            BOOST_TEST(x.failed_compare == y.failed_compare);
            BOOST_TEST((x.found_version == 0) == (y.found_version == 0));
          }
        },
        a);
  }
}

// The same error, or else the same result.
void same_reply(const store_reply& a, const store_reply& b, const std::string& step) {
  same_error(a.error, b.error, step);
  if (!a.error && !b.error)
    same_result(a.value, b.value, step);
}

void same_read(const read_result& a, const read_result& b, const std::string& step) {
  BOOST_TEST_CONTEXT(step) {
    BOOST_TEST_REQUIRE(a.index() == b.index());
    std::visit(
        [&](const auto& x) {
          using R = std::decay_t<decltype(x)>;
          auto y = std::get<R>(b);
          auto x2 = x;
          if constexpr (requires { x2.version; }) {
            x2.version = 0;
            y.version = 0;
          }
          if constexpr (requires { x2.token; }) {
            x2.token = 0;
            y.token = 0;
          }
          if constexpr (std::is_same_v<R, list_page>) {
            x2.revision = 0;
            y.revision = 0;
            for (auto* page : {&x2, &y})
              for (auto& listed : page->ids)
                listed.version = 0;
          }
          if constexpr (requires { x2.deadline_ms; }) {
            x2.deadline_ms = 0;
            y.deadline_ms = 0;
          }
          BOOST_TEST((x2 == y));
        },
        a);
  }
}

// The version a successful write took (0: not a write).
std::uint64_t written_version(const store_reply& reply) {
  if (reply.error)
    return 0;
  if (const auto* w = std::get_if<res_written>(&reply.value))
    return w->version;
  if (const auto* c = std::get_if<res_created>(&reply.value))
    return c->created ? c->version : 0;
  if (const auto* r = std::get_if<res_ran>(&reply.value))
    return r->version;
  if (const auto* l = std::get_if<res_lock>(&reply.value))
    return l->granted && l->count == 1 ? l->token : 0;
  if (const auto* t = std::get_if<res_txn>(&reply.value))
    return t->version;
  return 0;
}

using command_for = std::function<store_command(system_under_test&)>;

command_for fixed(store_command c) {
  return [c](system_under_test&) { return c; };
}

// id's version in that system (0: absent): versions differ between them.
std::uint64_t version_in(system_under_test& s, const std::string& id) {
  auto got = s.read(store_read{read_kind::value, id, 0, 0});
  return got.error ? 0 : std::get<value_state>(got.value).version;
}

txn_write txn_set(std::string id, std::string value) {
  return {std::move(id), false, std::move(value), {}};
}
txn_write txn_owned(std::string id, std::string value, std::string session) {
  return {std::move(id), false, std::move(value), std::move(session)};
}
txn_write txn_removal(std::string id) {
  return {std::move(id), true, {}, {}};
}

std::vector<txn_write> writes_of(std::size_t n) {
  std::vector<txn_write> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(txn_set("many/" + std::to_string(i), "v"));
  return out;
}

std::string i64(std::int64_t v) {
  return store::encode_i64(v);
}

// More pairs than one Lua unpack() can take (about 4,000), within the
// metadata limit.
metadata_map many_keys() {
  metadata_map out;
  for (int i = 0; i < 5000; ++i)
    out["k" + std::to_string(i)] = "v";
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_store_script)

namespace {

void compare_with_the_store(bool as_script) {
  store_system expected;
  redis_system actual{as_script};
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  std::vector<std::pair<std::string, command_for>> steps{
      {"create", fixed(cmd_create_if_absent{"a", "v1", {{"owner", "ops"}}})},
      {"create joins", fixed(cmd_create_if_absent{"a", "other", {}})},
      {"set creates", fixed(cmd_set{"b", "x"})},
      {"cas 0 on existing", fixed(cmd_cas{"b", 0, "y"})},
      {"cas on missing", fixed(cmd_cas{"nope", 5, "x"})},
      {"cas 0 on missing", fixed(cmd_cas{"c", 0, "new"})},
      {"bad id", fixed(cmd_set{"bad id!", "x"})},
      {"oversize", fixed(cmd_set{"big", std::string(2 << 20, 'x')})},
      {"empty metadata key", fixed(cmd_set_metadata{"a", {{"", "x"}}})},
      {"metadata of missing", fixed(cmd_set_metadata{"nope", {{"k", "v"}}})},
      {"metadata", fixed(cmd_set_metadata{"a", {{"k", "v"}, {"k2", "v2"}}})},
      {"thousands of metadata keys", fixed(cmd_create_if_absent{"meta", "m", many_keys()})},
      {"add", fixed(cmd_run{"n", "add_i64", i64(max - 1)})},
      {"add to the top", fixed(cmd_run{"n", "add_i64", i64(1)})},
      {"add overflows", fixed(cmd_run{"n", "add_i64", i64(1)})},
      {"add to a negative", fixed(cmd_run{"m", "add_i64", i64(min + 1)})},
      {"add to the bottom", fixed(cmd_run{"m", "add_i64", i64(-1)})},
      {"add underflows", fixed(cmd_run{"m", "add_i64", i64(-1)})},
      {"add to a non-integer", fixed(cmd_run{"a", "add_i64", i64(1)})},
      {"add a non-integer", fixed(cmd_run{"n", "add_i64", "abc"})},
      {"unknown command", fixed(cmd_run{"n", "mul_i64", i64(2)})},
      {"remove", fixed(cmd_remove{"b"})},
      {"remove again", fixed(cmd_remove{"b"})},
      {"create under a prefix", fixed(cmd_create_if_absent{"x/b", "1", {}})},
      {"set under a prefix", fixed(cmd_set{"x/a", "2"})},
      {"another under a prefix", fixed(cmd_cas{"x/c", 0, "3"})},
      {"beside the prefix", fixed(cmd_set{"x0", "4"})},
      {"remove under a prefix", fixed(cmd_remove{"x/c"})},
      {"create removed again", fixed(cmd_create_if_absent{"x/c", "5", {}})},
      {"remove for good", fixed(cmd_remove{"x/b"})},
      {"txn",
       [](system_under_test& s) {
         return cmd_txn{{{"x/a", version_in(s, "x/a")}, {"x/new", 0}},
                        {txn_set("x/a", "t1"), txn_set("x/new", "t2"), txn_removal("x/c"),
                         txn_removal("absent")}};
       }},
      {"txn at an old version", fixed(cmd_txn{{{"x/new", 0}}, {txn_set("x/a", "t3")}})},
      {"txn on a moved id",
       [](system_under_test& s) {
         return cmd_txn{{{"x/new", version_in(s, "x/new")}, {"x/a", version_in(s, "x/a") - 1}},
                        {txn_set("x/a", "t3")}};
       }},
      {"txn on an absent id", fixed(cmd_txn{{{"zz", 5}}, {txn_set("zz", "t")}})},
      {"txn of compares only",
       [](system_under_test& s) { return cmd_txn{{{"x/a", version_in(s, "x/a")}}, {}}; }},
      {"txn writing an id twice", fixed(cmd_txn{{}, {txn_set("q", "1"), txn_removal("q")}})},
      {"txn writing dref's records", fixed(cmd_txn{{}, {txn_set("dref/members/m", "h:1")}})},
      {"txn with a bad compare id", fixed(cmd_txn{{{"bad id!", 0}}, {txn_set("q", "1")}})},
      {"txn removal with a value", fixed(cmd_txn{{}, {txn_write{"q", true, "v", {}}}})},
      {"txn with too many writes", fixed(cmd_txn{{}, writes_of(store::max_txn_ops + 1)})},
      {"txn with the most writes", fixed(cmd_txn{{}, writes_of(store::max_txn_ops)})},
      {"txn too large in all",
       fixed(cmd_txn{{}, {txn_set("p1", std::string(600'000, 'x')),
                          txn_set("p2", std::string(600'000, 'y'))}})},
      {"session ttl too short", fixed(cmd_session_open{"s0", 1})},
      {"open s1", fixed(cmd_session_open{"s1", 60000})},
      {"open s1 again", fixed(cmd_session_open{"s1", 60000})},
      {"open s2", fixed(cmd_session_open{"s2", 60000})},
      {"keepalive of nobody", fixed(cmd_session_keepalive{"s9"})},
      {"keepalive", fixed(cmd_session_keepalive{"s1"})},
      {"lock", fixed(cmd_lock_acquire{"L", "s1", "o1", true})},
      {"lock again", fixed(cmd_lock_acquire{"L", "s1", "o1", true})},
      {"try a held lock", fixed(cmd_lock_acquire{"L", "s2", "o2", false})},
      {"wait", fixed(cmd_lock_acquire{"L", "s2", "o2", true})},
      {"wait again", fixed(cmd_lock_acquire{"L", "s2", "o2", true})},
      {"lock without a session", fixed(cmd_lock_acquire{"L", "s9", "o", true})},
      {"release by a waiter", fixed(cmd_lock_release{"L", "s2", "o2", 1})},
      {"release with a stale token", fixed(cmd_lock_release{"L", "s1", "o1", 999'999})},
      {"release one level",
       [](system_under_test& s) {
         return cmd_lock_release{"L", "s1", "o1", s.tokens[{"L", "s1", "o1"}]};
       }},
      {"release passes on",
       [](system_under_test& s) {
         return cmd_lock_release{"L", "s1", "o1", s.tokens[{"L", "s1", "o1"}]};
       }},
      {"release of a free lock", fixed(cmd_lock_release{"free", "s1", "o1", 1})},
      {"cancel by nobody", fixed(cmd_lock_cancel_wait{"L", "s1", "o1"})},
      {"cancel by the holder", fixed(cmd_lock_cancel_wait{"L", "s2", "o2"})},
      {"lock M", fixed(cmd_lock_acquire{"M", "s1", "o1", true})},
      {"wait for M", fixed(cmd_lock_acquire{"M", "s2", "o2", true})},
      {"wait for M twice", fixed(cmd_lock_acquire{"M", "s2", "o3", true})},
      {"give up on M", fixed(cmd_lock_cancel_wait{"M", "s2", "o3"})},
      {"lock N", fixed(cmd_lock_acquire{"N", "s2", "o2", true})},
      {"wait for N", fixed(cmd_lock_acquire{"N", "s1", "o1", true})},
      {"wait for N as o4", fixed(cmd_lock_acquire{"N", "s1", "o4", true})},
      {"hand N to nobody in line",
       [](system_under_test& s) {
         return cmd_lock_hand_over{"N", "s2", "o2", s.tokens[{"N", "s2", "o2"}], "o9"};
       }},
      {"hand N over by a waiter", fixed(cmd_lock_hand_over{"N", "s1", "o1", 1, "o4"})},
      {"hand N over with a stale token", fixed(cmd_lock_hand_over{"N", "s2", "o2", 999'999, "o4"})},
      {"hand N to the second in line",
       [](system_under_test& s) {
         return cmd_lock_hand_over{"N", "s2", "o2", s.tokens[{"N", "s2", "o2"}], "o4"};
       }},
      {"release N by its new holder",
       [](system_under_test& s) {
         auto held = s.read(store_read{read_kind::lock, "N", 0, 0});
         const auto* state = std::get_if<lock_state>(&held.value);
         return cmd_lock_release{"N", "s1", "o4", state != nullptr ? state->token : 0};
       }},
      {"claim d", fixed(cmd_delay_claim{"d", "s1"})},
      {"owned by nobody", fixed(cmd_set_owned{"o/a", "1", "s9", false})},
      {"owned by s1", fixed(cmd_set_owned{"o/a", "1", "s1", false})},
      {"a set keeps the owner", fixed(cmd_set{"o/a", "2"})},
      {"owned if absent joins", fixed(cmd_set_owned{"o/a", "3", "s2", true})},
      {"owned by s1, then", fixed(cmd_set_owned{"o/b", "1", "s1", false})},
      {"taken over by s2", fixed(cmd_set_owned{"o/b", "2", "s2", false})},
      {"owned, then removed", fixed(cmd_set_owned{"o/c", "1", "s1", false})},
      {"remove the owned", fixed(cmd_remove{"o/c"})},
      {"made again, unowned", fixed(cmd_set{"o/c", "5"})},
      {"txn owning, taking over",
       fixed(cmd_txn{{{"o/t2", 0}},
                     {txn_owned("o/t1", "1", "s1"), txn_set("o/t2", "2"), txn_owned("o/b", "3", "s1")}})},
      {"txn owned by nobody", fixed(cmd_txn{{}, {txn_set("o/t3", "1"), txn_owned("o/t4", "1", "s9")}})},
      {"txn owned by nobody, compare failing",
       fixed(cmd_txn{{{"o/t2", 0}}, {txn_owned("o/t4", "1", "s9")}})},
      {"txn owning a removal", fixed(cmd_txn{{}, {txn_write{"o/t2", true, {}, "s1"}}})},
      {"owned under a bad id", fixed(cmd_set_owned{"bad id!", "1", "s1", false})},
      {"owned among dref's records", fixed(cmd_set_owned{"dref/x", "1", "s1", false})},
      {"owned too large", fixed(cmd_set_owned{"o/big", std::string(2 << 20, 'x'), "s1", false})},
      {"close s1 passes M on", fixed(cmd_session_close{"s1"})},
      {"close s1 again", fixed(cmd_session_close{"s1"})},
      {"fenced set",
       [](system_under_test& s) {
         return cmd_fenced{write_fence{"N", s.tokens[{"N", "s2", "o2"}]}, cmd_set{"f", "x"}};
       }},
      {"fenced cas at a wrong version",
       [](system_under_test& s) {
         return cmd_fenced{write_fence{"N", s.tokens[{"N", "s2", "o2"}]}, cmd_cas{"f", 0, "y"}};
       }},
      {"fenced remove",
       [](system_under_test& s) {
         return cmd_fenced{write_fence{"N", s.tokens[{"N", "s2", "o2"}]}, cmd_remove{"f"}};
       }},
      {"fenced by an old token", fixed(cmd_fenced{write_fence{"N", 1}, cmd_set{"f", "late"}})},
      {"fenced by a free lock", fixed(cmd_fenced{write_fence{"free", 1}, cmd_set{"f", "late"}})},
      {"fenced by a bad lock id", fixed(cmd_fenced{write_fence{"bad id!", 1}, cmd_set{"f", "x"}})},
      {"fenced write of a bad id",
       [](system_under_test& s) {
         return cmd_fenced{write_fence{"N", s.tokens[{"N", "s2", "o2"}]}, cmd_set{"bad id!", "x"}};
       }},
      {"publish", fixed(cmd_publish{"t", "m1"})},
      {"publish more", fixed(cmd_publish{"t", "m2"})},
      {"retention too large", fixed(cmd_topic_configure{"t", 1'000'000, 0})},
      {"keep one", fixed(cmd_topic_configure{"t", 1, 4})},
      {"over the bytes", fixed(cmd_publish{"t", "12345"})},
      {"publish after", fixed(cmd_publish{"t", "m3"})},
      {"deliver", fixed(cmd_promise_deliver{"p", "x"})},
      {"deliver again", fixed(cmd_promise_deliver{"p", "y"})},
      {"claim released d", fixed(cmd_delay_claim{"d", "s2"})},
      {"claim d twice", fixed(cmd_delay_claim{"d", "s2"})},
      {"claim without a session", fixed(cmd_delay_claim{"e", "s9"})},
      {"complete unclaimed", fixed(cmd_delay_complete{"e", "s2", "v"})},
      {"complete by another", fixed(cmd_delay_complete{"d", "s9", "v"})},
      {"request while running", fixed(cmd_delay_request{"d"})},
      {"request unclaimed", fixed(cmd_delay_request{"g"})},
      {"request a bad id", fixed(cmd_delay_request{"bad id!"})},
      {"claim g", fixed(cmd_delay_claim{"g", "s2"})},
      {"fail g by another", fixed(cmd_delay_fail{"g", "s9", "x"})},
      {"fail g", fixed(cmd_delay_fail{"g", "s2", "boom"})},
      {"fail g again", fixed(cmd_delay_fail{"g", "s2", "boom"})},
      {"request failed g", fixed(cmd_delay_request{"g"})},
      {"claim g again", fixed(cmd_delay_claim{"g", "s2"})},
      {"complete", fixed(cmd_delay_complete{"d", "s2", "done"})},
      {"request completed", fixed(cmd_delay_request{"d"})},
      {"fail completed", fixed(cmd_delay_fail{"d", "s2", "late"})},
      {"complete again", fixed(cmd_delay_complete{"d", "s2", "again"})},
      {"claim completed", fixed(cmd_delay_claim{"d", "s2"})},
      {"expire", fixed(cmd_expire_due{})},
  };
  std::uint64_t seq = 0;
  std::uint64_t last_version = 0;
  for (auto& [name, make] : steps) {
    ++seq;
    store_proposal pe{42, seq, seq - 1, 0, make(expected)};
    store_proposal pa{42, seq, seq - 1, 0, make(actual)};
    auto e = expected.run(pe);
    auto a = actual.run(pa);
    same_reply(e, a, name);
    // Every write takes a version above all before it, as log indices are.
    if (auto version = written_version(a); version > 0) {
      BOOST_TEST(version > last_version,
                 name << ": version " << version << " after " << last_version);
      last_version = version;
    }
  }
  std::vector<store_read> reads{
      {read_kind::value, "a", 0, 0},        {read_kind::value, "b", 0, 0},
      {read_kind::value, "f", 0, 0},        {read_kind::value, "meta", 0, 0},
      {read_kind::value, "n", 0, 0},        {read_kind::lock, "L", 0, 0},
      {read_kind::lock, "M", 0, 0},         {read_kind::lock, "N", 0, 0},
      {read_kind::lock, "free", 0, 0},      {read_kind::topic, "t", 0, 0},
      {read_kind::topic, "t", 1, 10},       {read_kind::topic, "t", 3, 10},
      {read_kind::topic, "none", 0, 10},    {read_kind::promise, "p", 0, 0},
      {read_kind::promise, "q", 0, 0},      {read_kind::delay, "d", 0, 0},
      {read_kind::delay, "e", 0, 0},        {read_kind::delay, "g", 0, 0},
      {read_kind::session, "s2", 0, 0},     {read_kind::session, "s1", 0, 0},
      {read_kind::value, "x/b", 0, 0},      {read_kind::value, "x/a", 0, 0},
      {read_kind::value, "x/new", 0, 0},    {read_kind::value, "x/c", 0, 0},
      {read_kind::value, "many/127", 0, 0}, {read_kind::list, "", 0, 0},
      {read_kind::value, "o/a", 0, 0},      {read_kind::value, "o/b", 0, 0},
      {read_kind::value, "o/c", 0, 0},      {read_kind::list, "x/", 0, 1},
      {read_kind::list, "x/", 0, 1, "x/a"}, {read_kind::list, "x/", 0, 5, "x/a"},
      {read_kind::list, "x", 0, 2, "w"},    {read_kind::list, "x", 0, 2, "x/c"},
      {read_kind::list, "x/", 0, 5, "y"},   {read_kind::list, "nothing", 0, 0},
      {read_kind::list, "", 0, 1001},       {read_kind::list, "dref/", 0, 0},
      {read_kind::list, "bad id!", 0, 0},
  };
  for (const auto& r : reads) {
    auto name = "read " + std::to_string(static_cast<int>(r.kind)) + " " + r.id + " from " +
                std::to_string(r.from_seq) + " after " + r.after + " limit " +
                std::to_string(r.max_messages);
    auto e = expected.read(r);
    auto a = actual.read(r);
    same_error(e.error, a.error, name);
    if (!e.error && !a.error)
      same_read(e.value, a.value, name);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(answers_and_refusals_of_the_library_match_the_store) {
  compare_with_the_store(false);
}

BOOST_AUTO_TEST_CASE(answers_and_refusals_of_the_script_match_the_store) {
  compare_with_the_store(true);
}

// The retry cache's bounds: the same answers evicted in the same order, the
// same refusals, the same bytes counted. Redis orders clients by its own
// clock: each step waits 2 ms, so that no two clients are seen in the same
// millisecond (a tie the store would break by time and Redis by id).
BOOST_AUTO_TEST_CASE(the_retry_cache_is_bounded_and_evicted_as_the_store_does) {
  store::limits lim;
  const std::uint64_t answer = store::reply_entry_bytes + 100;
  lim.max_cached_reply_bytes_per_client = 3 * answer;
  lim.max_cached_reply_bytes = 3 * (store::client_entry_bytes + answer) + answer / 2;
  store_system expected{lim};
  redis_system actual;
  actual.keys.limits = lim;
  const std::string refused = "dropped to bound the retry cache";
  struct step {
    std::uint64_t client, seq;
    const char* outcome; // "ok", or "refused": a retry whose answer was dropped
  };
  std::vector<step> steps{
      {7, 1, "ok"},      {7, 2, "ok"},      {7, 3, "ok"},
      {7, 4, "ok"},      {7, 1, "refused"}, // past client 7's own bound
      {7, 2, "ok"},                         // a retry answered from the cache
      {9, 1, "ok"}, // over the total: client 7, seen least recently, loses its cache
      {7, 3, "refused"}, {5, 1, "ok"},      {3, 1, "ok"},
      {4, 1, "ok"}, // client 7 (no answers left) is forgotten, client 9's cache goes
      {9, 1, "refused"}, {5, 1, "ok"},      {4, 2, "ok"},
  };
  const store_proposal big{0, 0, 0, 0, cmd_set{"big", std::string(100, 'v')}};
  BOOST_TEST_REQUIRE(!expected.run(big).error);
  BOOST_TEST_REQUIRE(!actual.run(big).error);
  for (const auto& [client, seq, outcome] : steps) {
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
    auto name = "client " + std::to_string(client) + " seq " + std::to_string(seq);
    store_proposal p{client, seq, 0, 0, cmd_create_if_absent{"big", "joins", {}}};
    auto e = expected.run(p);
    auto a = actual.run(p);
    same_reply(e, a, name);
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(e.error.has_value() == (std::string{outcome} == "refused"));
      if (e.error)
        BOOST_TEST(e.error->message.find(refused) != std::string::npos);
      auto cached = must(actual.client.call({"GET", "diff:cached"}));
      BOOST_TEST(cached.text == std::to_string(expected.s.cached_reply_bytes()));
    }
  }
  BOOST_TEST(expected.s.state().clients.count(7) == 0u);
  BOOST_TEST(must(actual.client.call({"EXISTS", "diff:c:7"})).integer == 0);
}

// A client keeps at most store::max_cached_replies_per_client answers,
// however small: the oldest go first, as in the store. The script counts
// them in the client's hash (n) rather than asking Redis on every write.
BOOST_AUTO_TEST_CASE(a_client_keeps_at_most_its_count_of_answers_as_the_store_does) {
  store_system expected;
  redis_system actual;
  const std::uint64_t client = 11;
  const auto last = store::max_cached_replies_per_client + 4;
  for (std::uint64_t seq = 1; seq <= last; ++seq) {
    store_proposal p{client, seq, 0, 0, cmd_set{"x", std::to_string(seq)}};
    auto e = expected.run(p);
    auto a = actual.run(p);
    BOOST_TEST_REQUIRE(!e.error);
    BOOST_TEST_REQUIRE(!a.error);
  }
  BOOST_TEST(must(actual.client.call({"HGET", "diff:c:11", "n"})).text ==
             std::to_string(store::max_cached_replies_per_client));
  for (std::uint64_t seq : {std::uint64_t{4}, std::uint64_t{5}, last}) {
    auto name = "retry of seq " + std::to_string(seq);
    store_proposal p{client, seq, 0, 0, cmd_set{"x", "again"}};
    auto e = expected.run(p);
    auto a = actual.run(p);
    same_reply(e, a, name);
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(e.error.has_value() == (seq == 4));
    }
  }
  // Acknowledging all but the last two leaves two answers, counted.
  BOOST_TEST_REQUIRE(
      !actual.run(store_proposal{client, last + 1, last - 2, 0, cmd_set{"x", "y"}}).error);
  BOOST_TEST(must(actual.client.call({"HGET", "diff:c:11", "n"})).text == "3");
  BOOST_TEST(must(actual.client.call({"ZCARD", "diff:co:11"})).integer == 3);
}

// A sweep ends at most 64 sessions; a due session it did not reach yet is
// still treated as gone by the command that names it.
BOOST_AUTO_TEST_CASE(a_due_session_the_sweep_did_not_reach_is_gone) {
  redis_system r;
  std::uint64_t seq = 0;
  for (int i = 1; i <= 70; ++i, ++seq)
    BOOST_TEST_REQUIRE(!r.propose(store_proposal{3, seq + 1, seq, 0,
                                                 cmd_session_open{"s" + std::to_string(i), 100}})
                            .error);
  // A session is also a key whose TTL is its deadline.
  auto ttl = must(r.client.call({"PTTL", "diff:s:s70"})).integer;
  BOOST_TEST(ttl > 0);
  BOOST_TEST(ttl <= 100);
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  auto late =
      r.propose(store_proposal{3, seq + 1, seq, 0, cmd_lock_acquire{"L", "s70", "o", true}});
  BOOST_TEST_REQUIRE(late.error.has_value());
  BOOST_TEST(to_string(late.error->code) == "unknown_session");
  auto keepalive = r.propose(store_proposal{3, seq + 2, seq + 1, 0, cmd_session_keepalive{"s69"}});
  BOOST_TEST_REQUIRE(keepalive.error.has_value());
  BOOST_TEST(to_string(keepalive.error->code) == "unknown_session");
}

BOOST_AUTO_TEST_CASE(a_full_redis_refuses_writes_clearly_and_still_answers_reads) {
  redis_system r;
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{1, 1, 0, 0, cmd_set{"x", "one"}}).error);
  must(r.client.call({"CONFIG", "SET", "maxmemory-policy", "noeviction"}));
  must(r.client.call({"CONFIG", "SET", "maxmemory", "1"}));
  auto write = r.propose(store_proposal{1, 2, 1, 0, cmd_set{"x", "two"}});
  BOOST_TEST_REQUIRE(write.error.has_value());
  BOOST_TEST(to_string(write.error->code) == "limit_exceeded");
  BOOST_TEST(write.error->message.find("out of memory") != std::string::npos);
  auto read = r.read(store_read{read_kind::value, "x", 0, 0});
  BOOST_TEST_REQUIRE(!read.error);
  BOOST_TEST(std::get<value_state>(read.value).value == "one");
}

BOOST_AUTO_TEST_CASE(a_key_of_another_type_is_refused_and_left_alone) {
  redis_system r;
  must(r.client.call({"SET", "diff:v:cfg", "plain"}));
  auto set = r.propose(store_proposal{1, 1, 0, 0, cmd_set{"cfg", "x"}});
  BOOST_TEST_REQUIRE(set.error.has_value());
  BOOST_TEST(to_string(set.error->code) == "wrong_type");
  BOOST_TEST(set.error->message.find("ref 'cfg'") != std::string::npos);
  auto got = r.read(store_read{read_kind::value, "cfg", 0, 0});
  BOOST_TEST_REQUIRE(got.error.has_value());
  BOOST_TEST(to_string(got.error->code) == "wrong_type");
  BOOST_TEST(must(r.client.call({"GET", "diff:v:cfg"})).text == "plain");
  // Nothing was counted or announced for the refused write.
  BOOST_TEST((must(r.client.call({"EXISTS", "diff:index"})).integer == 0));
  BOOST_TEST((must(r.client.call({"EXISTS", "diff:events"})).integer == 0));
}

BOOST_AUTO_TEST_CASE(every_write_announces_its_change_and_the_stream_stays_bounded) {
  redis_system r;
  r.keys.events_maxlen = 100;
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{1, 1, 0, 0, cmd_set{"x", "one"}}).error);
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{1, 2, 1, 0, cmd_set{"x", "two"}}).error);
  auto first = redis::range_events(must(r.client.call({"XRANGE", "diff:events", "-", "+"})));
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST_REQUIRE(first->size() == 2u);
  const auto& created = (*first)[0];
  const auto& written = (*first)[1];
  BOOST_TEST(created.number == 1u);
  BOOST_TEST(written.number == 2u);
  BOOST_TEST((created.event.kind == event_kind::value_created));
  BOOST_TEST((written.event.kind == event_kind::value_written));
  BOOST_TEST(written.event.old_version == created.event.new_version);
  BOOST_TEST(written.event.payload == "two");
  BOOST_TEST(written.event.old_value.value_or("") == "one");
  for (std::uint64_t seq = 3; seq < 2000; ++seq)
    BOOST_TEST_REQUIRE(
        !r.propose(store_proposal{1, seq, seq - 1, 0, cmd_set{"x", std::to_string(seq)}}).error);
  auto length = must(r.client.call({"XLEN", "diff:events"})).integer;
  BOOST_TEST(length >= 100);
  BOOST_TEST(length <= 300);
}

BOOST_AUTO_TEST_SUITE_END()
