// The store script's retry cache (lua/retries.lua): a retried command runs
// once, acknowledged ones are refused, idle clients are forgotten, and a
// named command's write (run_at) is kept for its repeat while a conflict
// is not.
#include "dref/store/named_commands.hpp"
#include "dref/store/reply_cache.hpp"
#include "redis/store_replies.hpp"
#include "redis/store_script.hpp"
#include "redis_test_client.hpp"
#include "script_systems.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <thread>

using namespace dref;
using namespace dref::protocol;
using test::must;
using test::redis_system;

BOOST_AUTO_TEST_SUITE(redis_retries)

// Idle clients go with their answers and their share of the count, as in
// the store (a key TTL would leave the count behind).
BOOST_AUTO_TEST_CASE(idle_clients_are_forgotten_and_uncounted) {
  redis_system r;
  r.keys.limits.client_idle_ms = 50;
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{1, 1, 0, 0, cmd_set{"x", "one"}}).error);
  BOOST_TEST(must(r.client.call({"EXISTS", "diff:c:1"})).integer == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds{120});
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{2, 1, 0, 0, cmd_set{"x", "two"}}).error);
  BOOST_TEST(must(r.client.call({"EXISTS", "diff:c:1"})).integer == 0);
  BOOST_TEST(must(r.client.call({"ZCARD", "diff:clients"})).integer == 1);
  BOOST_TEST(must(r.client.call({"GET", "diff:cached"})).text ==
             std::to_string(store::client_entry_bytes + store::reply_entry_bytes));
}

BOOST_AUTO_TEST_CASE(a_retried_command_runs_once_and_acknowledged_ones_are_refused) {
  redis_system r;
  auto add = [&](std::uint64_t seq, std::uint64_t acked) {
    return r.propose(
        store_proposal{7, seq, acked, 0, cmd_run{"n", "add_i64", store::encode_i64(5)}});
  };
  auto first = add(1, 0);
  auto again = add(1, 0); // the answer was lost: the same proposal once more
  BOOST_TEST_REQUIRE(!first.error);
  BOOST_TEST((first == again));
  BOOST_TEST(std::get<res_ran>(add(2, 1).value).value == store::encode_i64(10));
  auto stale = add(1, 1);
  BOOST_TEST_REQUIRE(stale.error.has_value());
  BOOST_TEST(to_string(stale.error->code) == "invalid_argument");
  BOOST_TEST(stale.error->message.find("at or below the acknowledged sequence 1") !=
             std::string::npos);
  auto now = r.read(store_read{read_kind::value, "n", 0, 0});
  BOOST_TEST(std::get<value_state>(now.value).value == store::encode_i64(10));
  // A client far along (its answers' hash gone after an idle spell) costs
  // no more than any other: nothing is dropped one by one.
  auto far = r.propose(store_proposal{9, 100'000'000, 99'999'999, 0, cmd_set{"far", "x"}});
  BOOST_TEST(!far.error);
  auto next = r.propose(store_proposal{9, 100'000'100, 100'000'099, 0, cmd_set{"far", "y"}});
  BOOST_TEST(!next.error);
}

// A named command the backend ran (redis/named_runs.hpp) is written by
// run_at only while the value is at the version it ran on. A conflict is
// not kept for the repeat, so the backend's next try under the same
// sequence writes; a write is kept, so a repeat after a lost answer gets
// the first answer and writes nothing more.
BOOST_AUTO_TEST_CASE(run_at_writes_at_its_version_once_and_keeps_no_conflict) {
  redis_system r;
  BOOST_TEST_REQUIRE(!r.propose(store_proposal{4, 1, 0, 0, cmd_set{"q", "a"}}).error);
  auto version = [&] {
    return std::get<value_state>(r.read(store_read{read_kind::value, "q", 0, 0}).value).version;
  };
  auto at = version();
  store_proposal enqueue{5, 1, 0, 0, cmd_run{"q", "queue.enqueue", "b"}};
  auto run_at = [&](std::uint64_t ran_on, std::string value, std::string answer) {
    auto args = redis::run_at_args(r.keys, enqueue, ran_on,
                                   store::command_outcome{std::move(value), std::move(answer)});
    return redis::command_reply(r.call(std::move(args)), enqueue.command);
  };
  auto conflict = run_at(at + 100, "ab", "1");
  BOOST_TEST_REQUIRE(conflict.error.has_value());
  BOOST_TEST(to_string(conflict.error->code) == "version_conflict");
  auto written = run_at(at, "ab", "1"); // read again, ran again: same sequence
  BOOST_TEST_REQUIRE(!written.error, (written.error ? written.error->message : ""));
  BOOST_TEST(std::get<res_ran>(written.value).value == "1");
  BOOST_TEST(std::get<res_ran>(written.value).version == version());
  auto repeat = run_at(version(), "abb", "2"); // the answer was lost: ran once more on "ab"
  BOOST_TEST((repeat == written));
  BOOST_TEST(std::get<value_state>(r.read(store_read{read_kind::value, "q", 0, 0}).value).value ==
             "ab");
}

BOOST_AUTO_TEST_SUITE_END()
