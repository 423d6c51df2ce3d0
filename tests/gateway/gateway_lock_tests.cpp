// Sessions, locks and elections for HTTP clients against three dref-node
// processes: grants with fencing tokens, try-locks and bounded waits, a
// holder whose client stops keeping its session alive (it crashed, as far
// as the cluster can tell) loses the lock to the next in line with a larger
// token and can no longer release with its old one; elections as locks.

#include "gateway_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;

namespace {

std::string open_session(gateway_cluster& g, std::size_t member, int ttl_ms) {
  auto opened =
      g.call(member, {"POST", "/v1/sessions", R"({"ttl_ms": )" + std::to_string(ttl_ms) + "}"});
  BOOST_TEST_REQUIRE(opened.status == 200u, opened.body);
  auto id = json_of(opened)["session"].get<std::string>();
  BOOST_TEST(json_of(opened)["deadline_ms"].get<std::uint64_t>() > 0u);
  return id;
}

test::http_reply post(gateway_cluster& g, std::size_t member, const std::string& path,
                      const nlohmann::json& body) {
  return g.call(member, {"POST", path, body.dump()});
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_locks)

BOOST_AUTO_TEST_CASE(grants_waits_and_releases_with_fencing_tokens) {
  gateway_cluster g;
  g.wait_ready();
  auto a = open_session(g, 0, 10000);
  auto b = open_session(g, 1, 10000);
  auto got = post(g, 0, "/v1/locks/jobs/main/acquire", {{"session", a}, {"owner", "worker-a"}});
  BOOST_TEST_REQUIRE(got.status == 200u, got.body);
  auto token_a = json_of(got)["token"].get<std::uint64_t>();
  BOOST_TEST(token_a > 0u);
  // Held: a try-lock from b is refused at once and names the holder.
  auto refused = post(g, 1, "/v1/locks/jobs/main/acquire", {{"session", b}, {"owner", "worker-b"}});
  BOOST_TEST(refused.status == 409u, refused.body);
  BOOST_TEST(error_code(refused) == "would_block");
  BOOST_TEST(json_of(refused)["holder"] == "worker-a");
  auto state = json_of(g.call(2, {"GET", "/v1/locks/jobs/main"}));
  BOOST_TEST(state["held"] == true);
  BOOST_TEST(state["owner"] == "worker-a");
  BOOST_TEST(state["token"] == token_a);
  BOOST_TEST(state["waiters"].empty()); // the try-lock left no trace
  // A bounded wait that ends unanswered leaves the queue too.
  auto waited = post(g, 1, "/v1/locks/jobs/main/acquire",
                     {{"session", b}, {"owner", "worker-b"}, {"wait_ms", 300}});
  BOOST_TEST(waited.status == 409u, waited.body);
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/locks/jobs/main"}))["waiters"].empty());
  // b waits while a releases: b gets it with a larger token.
  test::http_reply released; // checked after the join: Boost.Test is not thread-safe
  std::thread release{[&] {
    std::this_thread::sleep_for(300ms);
    released = post(g, 0, "/v1/locks/jobs/main/release",
                    {{"session", a}, {"owner", "worker-a"}, {"token", token_a}});
  }};
  auto second = post(g, 1, "/v1/locks/jobs/main/acquire",
                     {{"session", b}, {"owner", "worker-b"}, {"wait_ms", 5000}});
  release.join();
  BOOST_TEST(released.status == 200u, released.body);
  BOOST_TEST(json_of(released)["released"] == true);
  BOOST_TEST_REQUIRE(second.status == 200u, second.body);
  BOOST_TEST(json_of(second)["token"].get<std::uint64_t>() > token_a);
  // The old token no longer releases anything.
  auto late = post(g, 0, "/v1/locks/jobs/main/release",
                   {{"session", a}, {"owner", "worker-a"}, {"token", token_a}});
  BOOST_TEST(late.status == 403u, late.body);
  // Closing b's session lets the lock go.
  BOOST_TEST(g.call(1, {"DELETE", "/v1/sessions/" + b}).status == 200u);
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/locks/jobs/main"}))["held"] == false);
  BOOST_TEST(g.call(1, {"POST", "/v1/sessions/" + b + "/keepalive"}).status == 404u);
}

BOOST_AUTO_TEST_CASE(a_holder_that_stops_keeping_alive_loses_the_lock_to_the_next) {
  gateway_cluster g;
  g.wait_ready();
  auto crashed = open_session(g, 0, 1500);
  auto next = open_session(g, 1, 20000);
  auto got = post(g, 0, "/v1/locks/jobs/cron/acquire", {{"session", crashed}});
  BOOST_TEST_REQUIRE(got.status == 200u, got.body);
  auto old_token = json_of(got)["token"].get<std::uint64_t>();
  // The holder's client is gone: nobody keeps its session alive. The next
  // one waits, keeping its own session alive, and gets the lock once the
  // holder's session lapses.
  auto started = std::chrono::steady_clock::now();
  test::http_reply taken;
  for (int attempt = 0; attempt < 10; ++attempt) {
    BOOST_TEST_REQUIRE(g.call(1, {"POST", "/v1/sessions/" + next + "/keepalive"}).status == 200u);
    taken = post(g, 1, "/v1/locks/jobs/cron/acquire", {{"session", next}, {"wait_ms", 1000}});
    if (taken.status == 200u)
      break;
  }
  BOOST_TEST_REQUIRE(taken.status == 200u, taken.body);
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_TEST(json_of(taken)["token"].get<std::uint64_t>() > old_token);
  BOOST_TEST(waited >= 1000ms); // not before the TTL could have passed
  BOOST_TEST_MESSAGE("the lock moved after "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                     << " ms (TTL 1500 ms)");
  // The lapsed holder learns it: its session is gone, its token is stale.
  BOOST_TEST(g.call(0, {"POST", "/v1/sessions/" + crashed + "/keepalive"}).status >= 404u);
  auto stale =
      post(g, 0, "/v1/locks/jobs/cron/release", {{"session", crashed}, {"token", old_token}});
  BOOST_TEST(stale.status >= 403u, stale.body);
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/locks/jobs/cron"}))["session"] == next);
}

BOOST_AUTO_TEST_CASE(an_election_is_a_campaign_observe_and_resign) {
  gateway_cluster g;
  g.wait_ready();
  auto a = open_session(g, 0, 10000);
  auto b = open_session(g, 2, 10000);
  auto none = json_of(g.call(1, {"GET", "/v1/elections/scheduler"}));
  BOOST_TEST(none["leader"].is_null());
  auto won =
      post(g, 0, "/v1/elections/scheduler/campaign", {{"session", a}, {"candidate", "alpha"}});
  BOOST_TEST_REQUIRE(won.status == 200u, won.body);
  auto term_token = json_of(won)["token"];
  auto lost =
      post(g, 2, "/v1/elections/scheduler/campaign", {{"session", b}, {"candidate", "beta"}});
  BOOST_TEST(lost.status == 409u);
  BOOST_TEST(json_of(lost)["holder"] == "alpha");
  auto seen = json_of(g.call(1, {"GET", "/v1/elections/scheduler"}));
  BOOST_TEST(seen["leader"] == "alpha");
  BOOST_TEST(seen["token"] == term_token);
  auto resigned = post(g, 0, "/v1/elections/scheduler/resign",
                       {{"session", a}, {"candidate", "alpha"}, {"token", term_token}});
  BOOST_TEST(resigned.status == 200u, resigned.body);
  auto next =
      post(g, 2, "/v1/elections/scheduler/campaign", {{"session", b}, {"candidate", "beta"}});
  BOOST_TEST_REQUIRE(next.status == 200u, next.body);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/elections/scheduler"}))["leader"] == "beta");
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/elections/scheduler"}))["proclaimed"].is_null());

  // beta hands over to a chosen native candidate, ahead of the one before it.
  auto first_in_line = g.cluster.ctx(1).join_election(manual_id("scheduler"), "first");
  auto chosen = g.cluster.ctx(2).join_election(manual_id("scheduler"), "chosen");
  auto beta_token = json_of(next)["token"];
  auto nobody = post(g, 2, "/v1/elections/scheduler/resign",
                     {{"session", b}, {"candidate", "beta"}, {"token", beta_token}, {"to", "x"}});
  BOOST_TEST(nobody.status == 404u, nobody.body);
  auto not_a_name = post(g, 2, "/v1/elections/scheduler/resign",
                         {{"session", b}, {"candidate", "beta"}, {"token", beta_token}, {"to", 7}});
  BOOST_TEST(not_a_name.status == 400u, not_a_name.body);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/elections/scheduler"}))["leader"] == "beta");
  auto handed =
      post(g, 2, "/v1/elections/scheduler/resign",
           {{"session", b}, {"candidate", "beta"}, {"token", beta_token}, {"to", "chosen"}});
  BOOST_TEST(handed.status == 200u, handed.body);
  for (int i = 0; i < 2000 && !chosen.is_leader(); ++i) // a guard against hanging
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  BOOST_TEST(chosen.is_leader());
  BOOST_TEST(!first_in_line.is_leader());
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/elections/scheduler"}))["leader"] == "chosen");
  chosen.leave();
  first_in_line.leave();

  // What a native leader proclaims, observed over HTTP.
  auto native = g.cluster.ctx(0).join_election(manual_id("announce"), "native");
  for (int i = 0; i < 2000 && !native.is_leader(); ++i) // a guard against hanging
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  BOOST_TEST_REQUIRE(native.is_leader());
  native.proclaim("10.0.0.7:8080");
  auto announced = json_of(g.call(2, {"GET", "/v1/elections/announce"}));
  BOOST_TEST(announced["leader"] == "native");
  BOOST_TEST(announced["proclaimed"]["candidate"] == "native");
  BOOST_TEST(announced["proclaimed"]["value"] == "10.0.0.7:8080");
  BOOST_TEST(announced["proclaimed"]["token"] == announced["token"]);
}

// A value owned by an HTTP session goes when the session closes; one with
// ttl_ms once that has passed; GET names the owner.
BOOST_AUTO_TEST_CASE(owned_and_ttl_values) {
  gateway_cluster g;
  g.wait_ready();
  auto s = open_session(g, 0, 10000);
  auto put = g.call(0, {"PUT", "/v1/refs/svc/a", R"({"value": "up", "session": ")" + s + "\"}"});
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  auto got = g.call(1, {"GET", "/v1/refs/svc/a"});
  BOOST_TEST_REQUIRE(got.status == 200u, got.body);
  BOOST_TEST(json_of(got)["owner"] == s);
  BOOST_TEST(g.call(2, {"DELETE", "/v1/sessions/" + s}).status == 200u);
  BOOST_TEST(g.call(1, {"GET", "/v1/refs/svc/a"}).status == 404u); // gone with its session

  auto ttl = g.call(1, {"PUT", "/v1/refs/svc/t", R"({"value": "x", "ttl_ms": 1000})"});
  BOOST_TEST_REQUIRE(ttl.status == 200u, ttl.body);
  auto owned = json_of(g.call(2, {"GET", "/v1/refs/svc/t"}));
  BOOST_TEST(owned["owner"].get<std::string>().starts_with("ttl-"));
  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) { // a guard against hanging, not a timing goal
    gone = g.call(0, {"GET", "/v1/refs/svc/t"}).status == 404u;
    if (!gone)
      std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(gone);
  BOOST_TEST(g.call(0, {"PUT", "/v1/refs/svc/plain", R"({"value": "x"})"}).status == 200u);
  BOOST_TEST(!json_of(g.call(0, {"GET", "/v1/refs/svc/plain"})).contains("owner"));

  auto status_of = [&](test::http_call call) {
    auto reply = g.call(0, std::move(call));
    return std::make_pair(reply.status, error_code(reply));
  };
  using outcome = std::pair<unsigned, std::string>;
  auto both = R"({"value": "x", "ttl_ms": 1000, "session": ")" + s + "\"}";
  BOOST_TEST((status_of({"PUT", "/v1/refs/svc/b", both}) == outcome{400, "invalid_argument"}));
  BOOST_TEST((status_of({"PUT", "/v1/refs/svc/b", R"({"value": "x", "ttl_ms": "1s"})"}) ==
              outcome{400, "invalid_argument"}));
  BOOST_TEST((status_of({"PUT", "/v1/refs/svc/b", R"({"value": "x", "ttl_ms": 1})"}) ==
              outcome{400, "invalid_argument"}));
  BOOST_TEST((status_of({"PUT", "/v1/refs/svc/b", R"({"value": "x", "session": 7})"}) ==
              outcome{400, "invalid_argument"}));
  BOOST_TEST((status_of({"PUT", "/v1/refs/svc/b", R"({"value": "x", "session": "nope"})"}) ==
              outcome{404, "unknown_session"}));
  BOOST_TEST(
      (status_of(
           {"PUT", "/v1/refs/svc/c", R"({"value": "x", "ttl_ms": 1000})", {{"If-Match", "1"}}}) ==
       outcome{400, "invalid_argument"}));
  for (const char* refused : {"/v1/refs/svc/b", "/v1/refs/svc/c"}) // nothing was written
    BOOST_TEST(g.call(0, {"GET", refused}).status == 404u);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors) {
  gateway_cluster g;
  g.wait_ready();
  auto s = open_session(g, 0, 5000);
  auto code_of = [&](test::http_call call) {
    auto reply = g.call(0, std::move(call));
    return std::make_pair(reply.status, error_code(reply));
  };
  using outcome = std::pair<unsigned, std::string>;
  BOOST_TEST((code_of({"POST", "/v1/sessions", "{}"}) == outcome{400, "invalid_argument"}));
  BOOST_TEST((code_of({"POST", "/v1/sessions", "{"}) == outcome{400, "bad_json"}));
  BOOST_TEST((code_of({"POST", "/v1/sessions", R"({"ttl_ms": 0})"}).first == 400u));
  BOOST_TEST((code_of({"POST", "/v1/sessions/nope/keepalive"}) == outcome{404, "unknown_session"}));
  BOOST_TEST((code_of({"GET", "/v1/sessions"}).first == 405u));
  BOOST_TEST((code_of({"POST", "/v1/locks/x/acquire", "{}"}) == outcome{400, "invalid_argument"}));
  BOOST_TEST((code_of({"POST", "/v1/locks/x/acquire", R"({"session": "nope"})"}).first == 404u));
  BOOST_TEST((code_of({"POST", "/v1/locks/x/acquire",
                       R"({"session": ")" + s + R"(", "wait_ms": 99999999})"}) ==
              outcome{400, "invalid_argument"}));
  BOOST_TEST((code_of({"POST", "/v1/locks/x/release", R"({"session": ")" + s + "\"}"}) ==
              outcome{400, "invalid_argument"}));
  BOOST_TEST((code_of({"PUT", "/v1/locks/x"}).first == 405u));
  BOOST_TEST((code_of({"GET", "/v1/locks/bad%20id"}).first == 400u));
  BOOST_TEST((code_of({"POST", "/v1/locks/dref/x/acquire", R"({"session": ")" + s + "\"}"}).first ==
              400u));
}

BOOST_AUTO_TEST_SUITE_END()
