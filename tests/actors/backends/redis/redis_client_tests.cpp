// The pipelining Redis client against a real redis-server on loopback.
#include "redis/client.hpp"
#include "redis_test_client.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using test::must;

bool wait_connected(redis::client& c, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!c.connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  return c.connected();
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_client)

BOOST_AUTO_TEST_CASE(commands_and_reply_kinds) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  BOOST_TEST(must(c.call({"SET", "k", std::string("bin\0ary", 7)})).text == "OK");
  auto value = must(c.call({"GET", "k"}));
  BOOST_TEST((value.type == redis::reply::kind::text));
  BOOST_TEST(value.text == std::string("bin\0ary", 7));
  BOOST_TEST((must(c.call({"GET", "missing"})).type == redis::reply::kind::nil));
  BOOST_TEST(must(c.call({"INCRBY", "n", "5"})).integer == 5);
  auto list = must(c.call({"MGET", "k", "missing"}));
  BOOST_TEST_REQUIRE(list.elements.size() == 2u);
  auto wrong = must(c.call({"INCR", "k"}));
  BOOST_TEST(wrong.is_error());
  BOOST_TEST(wrong.text.find("not an integer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pipelined_callbacks_arrive_in_order) {
  test::redis_server server;
  redis::client c{test::client_options(server)};
  constexpr int count = 20000;
  std::atomic<int> answered{0};
  std::atomic<bool> in_order{true};
  std::promise<void> all_done;
  for (int i = 0; i < count; ++i)
    c.submit({"INCR", "counter"}, [&, i](result<redis::reply> r) {
      if (!r || r->integer != i + 1)
        in_order = false;
      if (++answered == count)
        all_done.set_value();
    });
  BOOST_TEST_REQUIRE((all_done.get_future().wait_for(30s) == std::future_status::ready));
  BOOST_TEST(in_order.load());
  BOOST_TEST(must(c.call({"GET", "counter"})).text == std::to_string(count));
}

BOOST_AUTO_TEST_CASE(server_loss_gives_typed_errors_and_the_client_reconnects) {
  test::redis_server server{true};
  redis::client c{test::client_options(server)};
  BOOST_TEST(must(c.call({"SET", "durable", "1"})).text == "OK");
  server.kill_hard();
  auto failed = c.call({"GET", "durable"}, 5s);
  BOOST_TEST_REQUIRE(!failed.has_value());
  // Either it was never sent (unavailable) or its answer was lost (timeout).
  BOOST_TEST((failed.error().code == errc::unavailable || failed.error().code == errc::timeout),
             failed.error().to_string());
  BOOST_TEST(failed.error().message.find(c.address()) != std::string::npos);
  server.restart();
  BOOST_TEST_REQUIRE((wait_connected(c, 5s) || c.call({"PING"}).has_value()));
  // appendonly + fsync always: the acknowledged write survived the crash.
  result<redis::reply> back = error{errc::unavailable, "not tried"};
  for (int attempt = 0; attempt < 100 && !(back && back->type == redis::reply::kind::text);
       ++attempt) {
    back = c.call({"GET", "durable"});
    if (!back || back->is_error()) // LOADING while the AOF is replayed
      std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->text == "1");
}

BOOST_AUTO_TEST_CASE(unreachable_server_fails_fast_with_unavailable) {
  redis::client::options opts;
  opts.port = test::free_loopback_port(); // nothing listens there
  redis::client c{opts};
  auto answer = c.call({"PING"}, 5s);
  BOOST_TEST_REQUIRE(!answer.has_value());
  BOOST_TEST((answer.error().code == errc::unavailable));
  BOOST_TEST(answer.error().message.find("cannot connect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(destruction_fails_what_is_pending) {
  redis::client::options opts;
  opts.port = test::free_loopback_port();
  opts.max_backoff = 5s; // keeps the command queued while we destroy
  std::promise<result<redis::reply>> outcome;
  {
    redis::client c{opts};
    std::this_thread::sleep_for(20ms); // first connect attempt has failed
    c.submit({"PING"}, [&](result<redis::reply> r) { outcome.set_value(std::move(r)); });
  }
  auto r = outcome.get_future().get();
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST((r.error().code == errc::shutting_down || r.error().code == errc::unavailable));
}

BOOST_AUTO_TEST_SUITE_END()
