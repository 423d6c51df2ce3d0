// Hostile input: each gets a clear HTTP status and a JSON error (or, for a
// slow client, the connection cut), while a writer keeps committing through
// the native API on the same members and must keep being acknowledged.

#include "gateway_cluster.hpp"
#include "websocket_client.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;

namespace {

constexpr std::size_t max_connections = 8;

std::vector<std::string> bounded_gateway_flags() {
  return {"--http-max-body-bytes",    "4096",
          "--http-max-header-bytes",  "1024",
          "--http-header-timeout-ms", "3000",
          "--http-max-connections",   std::to_string(max_connections),
          "--http-max-websockets",    "2"};
}

// Commits through the native API of member 0 until stopped.
struct native_writer {
  explicit native_writer(context& ctx)
      : counter(ctx.make<std::int64_t>(0, manual_id("hostile-writer")))
      , thread([this] {
        for (std::int64_t i = 1; !stop; ++i) {
          if (counter.try_set(i))
            ++acknowledged;
          else
            ++failed;
        }
      }) {}
  ~native_writer() { finish(); }
  void finish() {
    stop = true;
    if (thread.joinable())
      thread.join();
  }
  // Waits until more writes were acknowledged than `before`.
  bool progressed_since(std::uint64_t before) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (acknowledged.load() <= before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return acknowledged.load() > before;
  }

  ref<std::int64_t> counter;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acknowledged{0};
  std::atomic<std::uint64_t> failed{0};
  std::thread thread;
};

// The status code at the start of a raw reply ("HTTP/1.1 431 ..."), 0 if none.
unsigned status_of_raw(const std::string& reply) {
  if (reply.size() < 12 || reply.substr(0, 9) != "HTTP/1.1 ")
    return 0;
  return static_cast<unsigned>(std::stoul(reply.substr(9, 3)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_hostile)

BOOST_AUTO_TEST_CASE(hostile_input_while_a_writer_commits) {
  gateway_cluster g{bounded_gateway_flags()};
  g.wait_ready();
  native_writer writer{g.cluster.ctx(0)};
  auto port = g.http_ports[0];
  std::uint64_t mark = writer.acknowledged.load();
  auto check_writer = [&](const char* after) {
    BOOST_TEST(writer.progressed_since(mark), "writes acknowledged after " << after);
    mark = writer.acknowledged.load();
  };
  auto expect = [&](test::http_call call, unsigned status, std::string code) {
    auto reply = g.call(0, call);
    BOOST_TEST(reply.status == status, call.method << " " << call.target << ": " << reply.body);
    BOOST_TEST(error_code(reply) == code, call.method << " " << call.target << ": " << reply.body);
    return reply;
  };

  expect({"PUT", "/v1/refs/x", "{\"value\": "}, 400, "bad_json");
  expect({"PUT", "/v1/refs/x", "[1, 2]"}, 400, "bad_json");
  expect({"PUT", "/v1/refs/x", R"({"value": 7})"}, 400, "invalid_argument");
  expect({"PUT", "/v1/refs/x", R"({"value": "!", "encoding": "base64"})"}, 400, "invalid_argument");
  expect({"POST", "/v1/refs/x/add", "{}"}, 400, "invalid_argument");
  check_writer("malformed JSON");

  expect({"GET", "/v2/refs/x"}, 404, "not_found_route");
  expect({"GET", "/index.htm"}, 404, "not_found_route");
  expect({"POST", "/"}, 405, "method_not_allowed"); // the dashboard's page
  expect({"GET", "/v1/watch/refs/x"}, 426, "upgrade_required");
  expect({"POST", "/v1/sessions", R"({"ttl_ms": "soon"})"}, 400, "invalid_argument");
  expect({"POST", "/v1/locks/x/acquire", "{"}, 400, "bad_json");
  auto wrong = expect({"PATCH", "/v1/refs/x"}, 405, "method_not_allowed");
  BOOST_TEST(wrong.headers["allow"].find("PUT") != std::string::npos);
  expect({"POST", "/healthz"}, 405, "method_not_allowed");
  expect({"GET", "/v1/cluster/transfer"}, 405, "method_not_allowed");
  check_writer("unknown routes and methods");

  expect({"GET", "/v1/refs/bad%20id"}, 400, "invalid_id");
  expect({"GET", "/v1/refs/"}, 400, "invalid_id");
  expect({"GET", "/v1/refs/" + std::string(300, 'a')}, 400, "invalid_id");
  expect({"GET", "/v1/refs/bad%zz"}, 400, "invalid_id");
  // The reserved system prefix: readable, never writable by a client.
  auto reserved =
      expect({"PUT", "/v1/refs/dref/members/x", R"({"value": "v"})"}, 400, "invalid_argument");
  BOOST_TEST(reserved.body.find("reserved") != std::string::npos, reserved.body);
  check_writer("bad ids");

  auto big = "{\"value\": \"" + std::string(8000, 'v') + "\"}";
  expect({"PUT", "/v1/refs/x", big}, 413, "body_too_large");
  expect({"GET", "/healthz", "", {{"X-Padding", std::string(4000, 'p')}}}, 431, "header_too_large");
  {
    test::raw_connection junk{port};
    junk.send("NOT HTTP AT ALL\r\n\r\n");
    BOOST_TEST(status_of_raw(junk.read_for(5s)) == 400u);
  }
  check_writer("oversized bodies and headers, junk");

  // Slowloris: headers trickle in, never finished: cut off without a reply.
  {
    test::raw_connection slow{port};
    slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    std::string got;
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!slow.closed() && std::chrono::steady_clock::now() < give_up) {
      slow.send("X-Slow: 1\r\n");
      got += slow.read_for(250ms);
    }
    BOOST_TEST(slow.closed(), "the slow client was cut off");
    BOOST_TEST(got.find("HTTP/1.1 200") == std::string::npos, got);
  }
  check_writer("a slow client");

  // Connections over the cap: refused with 503, the others still served.
  {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) { // earlier connections closed: only the one asking is open
      auto metrics = g.call(0, {"GET", "/metrics"});
      if (metrics.body.find("\ndref_http_open_connections 1\n") != std::string::npos)
        break;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, metrics.body);
      std::this_thread::sleep_for(20ms);
    }
    std::vector<std::unique_ptr<test::raw_connection>> held;
    for (std::size_t i = 0; i < max_connections; ++i)
      held.push_back(std::make_unique<test::raw_connection>(port));
    test::raw_connection extra{port};
    auto refused = extra.read_for(5s);
    BOOST_TEST(status_of_raw(refused) == 503u, refused);
    BOOST_TEST(refused.find("too_many_connections") != std::string::npos, refused);
    BOOST_TEST(extra.closed());
    held.front()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(status_of_raw(held.front()->read_for(1s)) == 200u);
    BOOST_TEST(g.call(1, {"GET", "/healthz"}).status == 200u); // other members: no cap shared
    held.clear();
    deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) { // room again once they are gone
      try {
        if (g.call(0, {"GET", "/healthz"}).status == 200u)
          break;
      } catch (const std::runtime_error&) {
      }
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "served again");
      std::this_thread::sleep_for(20ms);
    }
    auto metrics = g.call(0, {"GET", "/metrics"}).body;
    BOOST_TEST(metrics.find("\ndref_http_refused_connections_total 0\n") == std::string::npos,
               metrics);
  }
  check_writer("too many connections");

  {
    // Too many streams, and a stream that does not read while the writer's
    // changes pour in: 503 for the one over the cap; the others go on.
    test::ws_connection one{port, "/v1/watch/refs/hostile-writer"};
    test::ws_connection two{port, "/v1/watch/refs/hostile-writer", {}, {}, 4096};
    try {
      test::ws_connection three{port, "/v1/watch/refs/hostile-writer"};
      BOOST_FAIL("a third stream opened over --http-max-websockets 2");
    } catch (const test::stream_refused& refused) {
      BOOST_TEST(refused.status == 503u);
      BOOST_TEST(refused.body.find("too_many_streams") != std::string::npos, refused.body);
    }
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(one.next(5s).has_value());
    BOOST_TEST(!one.closed());
  }
  check_writer("too many streams");

  writer.finish();
  BOOST_TEST(writer.failed.load() == 0u);
  BOOST_TEST(writer.acknowledged.load() > 0u);
  // The gateway counted what it refused, by route and code.
  auto metrics = g.call(0, {"GET", "/metrics"}).body;
  for (std::string series :
       {"route=\"/v1/refs/{id}\",code=\"400\"", "route=\"unknown\",code=\"404\"",
        "route=\"malformed\",code=\"413\"", "route=\"malformed\",code=\"431\""})
    BOOST_TEST(metrics.find(series) != std::string::npos, series);
}

BOOST_AUTO_TEST_SUITE_END()
