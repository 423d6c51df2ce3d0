// The value scripts against a real redis-server: versions, refusals and the
// change event each write appends in the same script.
#include <boost/test/unit_test.hpp>

#include "redis/value_scripts.hpp"
#include "redis_test_client.hpp"

using namespace dref;
using test::must;

namespace {

const std::string maxlen = "1000";

redis::reply run(redis::client& c, const redis::script& s, const std::string& id,
                 std::vector<std::string> args) {
  args.insert(args.begin(), id);
  return must(redis::call(c, s, redis::keys_for_value("t:", id).all(), std::move(args)));
}

// The events stream as (kind, id, old_version, new_version, value) rows.
std::vector<std::vector<std::string>> events(redis::client& c) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : must(c.call({"XRANGE", "t:events", "-", "+"})).elements) {
    const auto& fields = entry.elements.at(1).elements;
    std::vector<std::string> row;
    for (std::size_t i = 1; i < fields.size(); i += 2)
      row.push_back(fields[i].text);
    rows.push_back(row);
  }
  return rows;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_value_scripts)

BOOST_AUTO_TEST_CASE(create_get_set_and_cas_keep_versions_and_events) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  BOOST_TEST((run(c, redis::value_get(), "a", {}).type == redis::reply::kind::nil));
  BOOST_TEST(run(c, redis::value_create(), "a", {std::string("v\0one", 5), maxlen}).integer == 1);
  auto refused = run(c, redis::value_create(), "a", {"other", maxlen});
  BOOST_TEST(refused.is_error());
  BOOST_TEST(refused.text == "EXISTS 1");
  // Versions come from one counter: another id's write takes the next one.
  BOOST_TEST(run(c, redis::value_set(), "b", {"b1", maxlen}).integer == 2);
  BOOST_TEST(run(c, redis::value_set(), "a", {"two", maxlen}).integer == 3);
  auto got = run(c, redis::value_get(), "a", {});
  BOOST_TEST_REQUIRE(got.elements.size() == 2u);
  BOOST_TEST(got.elements[0].text == "two");
  BOOST_TEST(got.elements[1].integer == 3);
  auto stale = run(c, redis::value_cas(), "a", {"1", "three", maxlen});
  BOOST_TEST(stale.is_error());
  BOOST_TEST(stale.text == "VERSION_CONFLICT 3");
  BOOST_TEST(run(c, redis::value_cas(), "a", {"3", "three", maxlen}).integer == 4);
  auto missing = run(c, redis::value_cas(), "nope", {"1", "x", maxlen});
  BOOST_TEST(missing.text == "NOT_FOUND no value has this id");
  // One event a write, in order; refusals wrote nothing.
  std::vector<std::vector<std::string>> expected{{"0", "a", "0", "1", std::string("v\0one", 5)},
                                                 {"0", "b", "0", "2", "b1"},
                                                 {"1", "a", "1", "3", "two"},
                                                 {"1", "a", "3", "4", "three"}};
  BOOST_TEST((events(c) == expected));
  BOOST_TEST(run(c, redis::value_get(), "a", {}).elements[0].text == "three");
}

BOOST_AUTO_TEST_CASE(a_key_of_another_type_is_a_clear_error_and_stays_as_it_was) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  BOOST_TEST(must(c.call({"SET", "t:v:x", "someone else's"})).text == "OK");
  for (const auto* s : {&redis::value_get(), &redis::value_set(), &redis::value_create()}) {
    auto answer = run(c, *s, "x", {"mine", maxlen});
    BOOST_TEST(answer.is_error());
    BOOST_TEST(answer.text.find("WRONGTYPE") != std::string::npos, answer.text);
  }
  BOOST_TEST(must(c.call({"GET", "t:v:x"})).text == "someone else's");
  BOOST_TEST(must(c.call({"EXISTS", "t:events"})).integer == 0);
  BOOST_TEST(must(c.call({"EXISTS", "t:version"})).integer == 0);
}

BOOST_AUTO_TEST_CASE(the_events_stream_stays_near_its_bound) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  for (int i = 0; i < 2000; ++i)
    run(c, redis::value_set(), "n", {std::to_string(i), "100"});
  // MAXLEN ~ trims whole nodes: a little over the bound, never unbounded.
  auto length = must(c.call({"XLEN", "t:events"})).integer;
  BOOST_TEST(length >= 100);
  BOOST_TEST(length < 300);
  BOOST_TEST(run(c, redis::value_get(), "n", {}).elements[1].integer == 2000);
}

BOOST_AUTO_TEST_SUITE_END()
