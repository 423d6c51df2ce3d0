// Lua scripts by EVALSHA, against a real redis-server on loopback.
#include "redis/script.hpp"
#include "redis_test_client.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using test::must;

const redis::script bump{"bump", R"lua(
  local n = redis.call('INCRBY', KEYS[1], ARGV[1])
  return {n, ARGV[2]}
)lua"};

} // namespace

BOOST_AUTO_TEST_SUITE(redis_script)

BOOST_AUTO_TEST_CASE(the_sha1_is_the_one_redis_computes) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  auto loaded = must(c.call({"SCRIPT", "LOAD", bump.source()}));
  BOOST_TEST(loaded.text == bump.sha1());
  // A known vector: SHA1("abc").
  BOOST_TEST(redis::script("abc", "abc").sha1() == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

BOOST_AUTO_TEST_CASE(an_unknown_script_is_sent_whole_then_by_sha) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  auto first = must(redis::call(c, bump, {"n"}, {"5", "tag"}));
  BOOST_TEST_REQUIRE(first.elements.size() == 2u);
  BOOST_TEST(first.elements[0].integer == 5);
  BOOST_TEST(first.elements[1].text == "tag");
  // The EVAL that answered NOSCRIPT cached the script on the server.
  auto exists = must(c.call({"SCRIPT", "EXISTS", bump.sha1()}));
  BOOST_TEST_REQUIRE(exists.elements.size() == 1u);
  BOOST_TEST(exists.elements[0].integer == 1);
  BOOST_TEST(must(redis::call(c, bump, {"n"}, {"2", "x"})).elements[0].integer == 7);
  // Forgotten again (as after a restart): still runs, exactly once.
  BOOST_TEST(must(c.call({"SCRIPT", "FLUSH"})).text == "OK");
  BOOST_TEST(must(redis::call(c, bump, {"n"}, {"1", "y"})).elements[0].integer == 8);
  BOOST_TEST(must(c.call({"GET", "n"})).text == "8");
}

BOOST_AUTO_TEST_CASE(a_lua_error_comes_back_as_an_error_reply) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  redis::script refuses{"refuses", "return redis.error_reply('VERSION_CONFLICT at 7')"};
  auto answer = must(redis::call(c, refuses, {}, {}));
  BOOST_TEST(answer.is_error());
  BOOST_TEST(answer.text == "VERSION_CONFLICT at 7");
  // A wrong-type key is the script's error too, not a lost call.
  BOOST_TEST(must(c.call({"HSET", "h", "f", "v"})).integer == 1);
  auto wrong = must(redis::call(c, bump, {"h"}, {"1", "z"}));
  BOOST_TEST(wrong.is_error());
  BOOST_TEST(wrong.text.find("WRONGTYPE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_call_while_redis_is_down_fails_clearly) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  BOOST_TEST(must(redis::call(c, bump, {"n"}, {"1", "a"})).elements[0].integer == 1);
  server.kill_hard();
  while (c.connected())
    std::this_thread::sleep_for(5ms);
  auto down = redis::call(c, bump, {"n"}, {"1", "b"}, 2s);
  BOOST_TEST_REQUIRE(!down.has_value());
  BOOST_TEST((down.error().code == errc::unavailable || down.error().code == errc::timeout));
}

BOOST_AUTO_TEST_SUITE_END()
