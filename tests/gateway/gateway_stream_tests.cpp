// The WebSocket streams against three dref-node processes: a ref's watch and
// a topic's subscription, each gap-free across the kill -9 of the member
// behind the socket (the client goes on at another member from the last
// version or seq it saw); refusals before the upgrade; the stream cap; a
// client that does not read is cut off with 1008; the dashboard's stream.

#include "gateway_cluster.hpp"
#include "websocket_client.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;
using test::ws_connection;

namespace {

nlohmann::json frame_of(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  BOOST_TEST_INFO("frame: " << text);
  BOOST_TEST_REQUIRE(!parsed.is_discarded());
  return parsed;
}

// The next frame within wait, parsed; fails the test when none comes.
nlohmann::json next_frame(ws_connection& ws, std::chrono::milliseconds wait = 10s) {
  auto text = ws.next(wait);
  BOOST_TEST_INFO("closed: " << ws.closed() << " code " << ws.close_code() << " "
                             << ws.close_reason());
  BOOST_TEST_REQUIRE(text.has_value());
  return frame_of(*text);
}

// The stream at target, opened again until the member (which may still be
// electing a leader after the kill) takes it, for up to 30 s.
std::unique_ptr<ws_connection> reopen(std::uint16_t port, const std::string& target) {
  for (auto deadline = std::chrono::steady_clock::now() + 30s;;) {
    try {
      return std::make_unique<ws_connection>(port, target);
    } catch (const test::stream_refused& refused) {
      BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline), refused.what());
      std::this_thread::sleep_for(100ms);
    }
  }
}

// Sends writes one after another through `member` until stopped, retrying
// a write whose answer was an error (its outcome may then be unknown: a
// version nobody acknowledged may show up in a watch, which is allowed).
class writer {
public:
  writer(gateway_cluster& g, std::size_t member, std::function<test::http_call(int)> make)
      : thread_([this, &g, member, make] {
        for (int i = 1; !stop_; ++i) {
          for (;;) {
            test::http_reply reply;
            try {
              reply = g.call(member, make(i));
            } catch (const std::exception&) {
              reply.status = 0;
            }
            // Boost.Test's checks are not thread-safe: plain parsing here.
            auto body = nlohmann::json::parse(reply.body, nullptr, false);
            if (reply.status == 200 && body.is_object()) {
              std::lock_guard lock{mutex_};
              acked_.emplace_back(i, std::move(body));
              break;
            }
            if (stop_)
              return;
            std::this_thread::sleep_for(50ms);
          }
        }
      }) {}
  ~writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  std::vector<std::pair<int, nlohmann::json>> acked() {
    std::lock_guard lock{mutex_};
    return acked_;
  }

private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::pair<int, nlohmann::json>> acked_;
  std::thread thread_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_streams)

BOOST_AUTO_TEST_CASE(a_ref_watch_misses_no_version_across_the_kill_of_its_member) {
  gateway_cluster g;
  g.wait_ready();
  ws_connection first{g.http_ports[0], "/v1/watch/refs/watched/ref"};
  auto start = next_frame(first);
  BOOST_TEST(start["type"] == "absent");

  writer w{g, 1, [](int i) {
             return test::http_call{"PUT", "/v1/refs/watched/ref",
                                    R"({"value": "w-)" + std::to_string(i) + "\"}"};
           }};
  std::map<std::uint64_t, std::string> seen; // version -> value
  std::uint64_t last = 0;
  std::vector<std::uint64_t> order;
  auto take = [&](const nlohmann::json& f) {
    auto type = f["type"].get<std::string>();
    BOOST_TEST_REQUIRE((type == "created" || type == "written"), f.dump());
    auto version = f["version"].get<std::uint64_t>();
    order.push_back(version);
    seen[version] = f["value"].get<std::string>();
    last = version;
  };
  while (seen.size() < 20)
    take(next_frame(first));
  // Watches opened while writes go on start with the value at some version
  // and go on with the changes after it: none of the writes racing the
  // opening is shown twice or skipped.
  for (int i = 0; i < 30; ++i) {
    ws_connection late{g.http_ports[2], "/v1/watch/refs/watched/ref"};
    auto value = next_frame(late);
    BOOST_TEST_REQUIRE(value["type"] == "value", value.dump());
    auto change = next_frame(late);
    BOOST_TEST_INFO("watch " << i << ": " << value.dump() << " then " << change.dump());
    BOOST_TEST_REQUIRE(change["version"].get<std::uint64_t>() >
                       value["version"].get<std::uint64_t>());
    BOOST_TEST(change["old_version"] == value["version"]);
  }
  g.cluster.nodes[0]->kill_hard();
  // The client goes on at another member from the last version it saw.
  auto again = reopen(g.http_ports[2], "/v1/watch/refs/watched/ref?from=" + std::to_string(last));
  while (seen.size() < 60)
    take(next_frame(*again, 30s));
  w.stop();
  auto acked = w.acked();
  BOOST_TEST_REQUIRE(!acked.empty());
  auto newest = acked.back().second["version"].get<std::uint64_t>();
  while (last < newest)
    take(next_frame(*again, 30s));
  // In order, no repeats, and every acknowledged write there with its value.
  for (std::size_t i = 1; i < order.size(); ++i)
    BOOST_TEST(order[i - 1] < order[i]);
  for (const auto& [i, reply] : acked) {
    auto version = reply["version"].get<std::uint64_t>();
    BOOST_TEST_INFO("write w-" << i << " at version " << version);
    BOOST_TEST_REQUIRE(seen.count(version) == 1u);
    BOOST_TEST(seen[version] == "w-" + std::to_string(i));
  }
  BOOST_TEST_MESSAGE(acked.size() << " acknowledged writes, " << order.size()
                                  << " versions seen, the watch moved at version " << last);
}

BOOST_AUTO_TEST_CASE(a_topic_subscription_misses_no_message_across_the_kill_of_its_member) {
  gateway_cluster g;
  g.wait_ready();
  writer w{g, 1, [](int i) {
             return test::http_call{"POST", "/v1/topics/feed",
                                    R"({"message": "m-)" + std::to_string(i) + "\"}"};
           }};
  ws_connection first{g.http_ports[0], "/v1/watch/topics/feed?from=1"};
  std::vector<std::pair<std::uint64_t, std::string>> got;
  auto take = [&](const nlohmann::json& f) {
    BOOST_TEST_REQUIRE(f["type"] == "message", f.dump());
    got.emplace_back(f["seq"].get<std::uint64_t>(), f["message"].get<std::string>());
  };
  while (got.size() < 20)
    take(next_frame(first));
  g.cluster.nodes[0]->kill_hard();
  auto again =
      reopen(g.http_ports[2], "/v1/watch/topics/feed?from=" + std::to_string(got.back().first + 1));
  while (got.size() < 60)
    take(next_frame(*again, 30s));
  w.stop();
  auto acked = w.acked();
  auto newest = acked.back().second["seq"].get<std::uint64_t>();
  while (got.back().first < newest)
    take(next_frame(*again, 30s));
  // Every seq from 1 on, once, in order; each acknowledged publish with its message.
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST_REQUIRE(got[i].first == i + 1);
  for (const auto& [i, reply] : acked) {
    auto seq = reply["seq"].get<std::uint64_t>();
    BOOST_TEST(got.at(seq - 1).second == "m-" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(removal_and_listing_with_a_watcher_that_sees_the_removal) {
  gateway_cluster g;
  g.wait_ready();
  for (auto id : {"fleet/a", "fleet/b", "fleet/c", "other"})
    BOOST_TEST_REQUIRE(
        g.call(0, {"PUT", std::string{"/v1/refs/"} + id, R"({"value": "v"})"}).status == 200u);
  auto all = json_of(g.call(1, {"GET", "/v1/refs?prefix=fleet/"}));
  BOOST_TEST_REQUIRE(all["ids"].size() == 3u, all.dump());
  BOOST_TEST(all["ids"][0]["id"] == "fleet/a");
  BOOST_TEST(all["more"] == false);
  auto first = json_of(g.call(1, {"GET", "/v1/refs?prefix=fleet/&limit=2"}));
  BOOST_TEST(first["ids"].size() == 2u);
  BOOST_TEST(first["more"] == true);
  auto rest = json_of(g.call(1, {"GET", "/v1/refs?prefix=fleet/&limit=2&after=fleet/b"}));
  BOOST_TEST_REQUIRE(rest["ids"].size() == 1u);
  BOOST_TEST(rest["ids"][0]["id"] == "fleet/c");
  BOOST_TEST(rest["revision"] == first["revision"]); // one snapshot: nothing changed between
  BOOST_TEST(g.call(1, {"GET", "/v1/refs?limit=0"}).status == 400u);
  BOOST_TEST(g.call(1, {"POST", "/v1/refs"}).status == 405u);

  ws_connection watch{g.http_ports[2], "/v1/watch/refs/fleet/b"};
  BOOST_TEST(next_frame(watch)["type"] == "value");
  // The prefix's stream: a start frame with the version it starts after,
  // then a frame per change of a value under it.
  ws_connection fleet{g.http_ports[1], "/v1/watch/prefix/fleet/"};
  auto start = next_frame(fleet);
  BOOST_TEST(start["type"] == "start");
  BOOST_TEST(start["version"].get<std::uint64_t>() >= all["revision"].get<std::uint64_t>());
  auto removed = g.call(0, {"DELETE", "/v1/refs/fleet/b"});
  BOOST_TEST_REQUIRE(removed.status == 200u, removed.body);
  BOOST_TEST(json_of(removed)["removed"] == true);
  BOOST_TEST(json_of(removed)["old_version"].get<std::uint64_t>() > 0u);
  BOOST_TEST(next_frame(watch)["type"] == "removed");
  BOOST_TEST(g.call(1, {"GET", "/v1/refs/fleet/b"}).status == 404u);
  BOOST_TEST(json_of(g.call(0, {"DELETE", "/v1/refs/fleet/b"}))["removed"] == false);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs?prefix=fleet/"}))["ids"].size() == 2u);
  BOOST_TEST(g.call(0, {"DELETE", "/v1/refs/dref/members/node-1"}).status == 400u);
  BOOST_TEST_REQUIRE(g.call(2, {"PUT", "/v1/refs/other", R"({"value": "w"})"}).status == 200u);
  BOOST_TEST_REQUIRE(g.call(2, {"PUT", "/v1/refs/fleet/d", R"({"value": "w"})"}).status == 200u);
  auto gone = next_frame(fleet);
  BOOST_TEST(gone["type"] == "removed");
  BOOST_TEST(gone["id"] == "fleet/b");
  auto created = next_frame(fleet);
  BOOST_TEST(created["type"] == "created"); // "other" is not under the prefix
  BOOST_TEST(created["id"] == "fleet/d");
  BOOST_TEST(created["value"] == "w");
  // Resumed at another member from the start: the same two changes again.
  ws_connection again{g.http_ports[0], "/v1/watch/prefix/fleet/?from=" +
                                           std::to_string(start["version"].get<std::uint64_t>())};
  BOOST_TEST(next_frame(again)["type"] == "start");
  BOOST_TEST(next_frame(again)["id"] == "fleet/b");
  BOOST_TEST(next_frame(again)["id"] == "fleet/d");
  for (auto target : {"/v1/watch/prefix/dref/", "/v1/watch/prefix/", "/v1/watch/prefix/a%20b",
                      "/v1/watch/prefix/a?from=x"}) {
    try {
      ws_connection refused{g.http_ports[0], target};
      BOOST_ERROR("the stream " << target << " opened");
    } catch (const test::stream_refused& no) {
      BOOST_TEST(no.status == 400u, target);
    }
  }
}

BOOST_AUTO_TEST_CASE(refusals_come_before_the_upgrade) {
  gateway_cluster g{{"--topic-max-messages", "3", "--http-max-websockets", "2"}};
  g.wait_ready();
  auto refused = [&](const std::string& target) -> test::stream_refused {
    try {
      ws_connection ws{g.http_ports[0], target};
    } catch (const test::stream_refused& no) {
      return no;
    }
    BOOST_FAIL("the stream " << target << " opened");
    throw;
  };
  BOOST_TEST(refused("/v1/watch/nothing/x").status == 404u);
  BOOST_TEST(refused("/v1/watch/refs/a?from=x").status == 400u);
  BOOST_TEST(refused("/v1/watch/refs/dref%ZZ").status == 400u);
  BOOST_TEST(refused("/v1/watch/refs/bad%20id").status == 400u);
  // Not an upgrade: said so.
  auto plain = g.call(0, {"GET", "/v1/watch/refs/a"});
  BOOST_TEST(plain.status == 426u);
  BOOST_TEST(error_code(plain) == "upgrade_required");
  // A seq older than the retention: 410 with where to go on.
  for (int i = 0; i < 5; ++i)
    BOOST_TEST_REQUIRE(g.call(1, {"POST", "/v1/topics/short", R"({"message": "x"})"}).status ==
                       200u);
  auto gone = refused("/v1/watch/topics/short?from=1");
  BOOST_TEST(gone.status == 410u);
  BOOST_TEST(json_of({410, gone.body, {}})["first_seq"] == 3);
  // A ref that exists starts with its value; two streams are the cap.
  BOOST_TEST_REQUIRE(g.call(1, {"PUT", "/v1/refs/there", R"({"value": "v"})"}).status == 200u);
  ws_connection one{g.http_ports[0], "/v1/watch/refs/there"};
  auto first = next_frame(one);
  BOOST_TEST(first["type"] == "value");
  BOOST_TEST(first["value"] == "v");
  ws_connection two{g.http_ports[0], "/v1/watch/topics/short"};
  auto third = refused("/v1/watch/refs/there");
  BOOST_TEST(third.status == 503u);
  BOOST_TEST(error_code({503, third.body, {}}) == "too_many_streams");
  // Streams on other members are not affected, and HTTP goes on here.
  ws_connection elsewhere{g.http_ports[1], "/v1/watch/refs/there"};
  BOOST_TEST(next_frame(elsewhere)["type"] == "value");
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/there"}).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_client_that_does_not_read_is_cut_off_with_a_reason) {
  gateway_cluster g{{"--http-max-stream-backlog-bytes", "65536"}};
  g.wait_ready();
  ws_connection slow{g.http_ports[0], "/v1/watch/refs/big", {}, {}, 4096};
  // 8 MB of changes while the client reads nothing: more than the sockets
  // hold, so the stream's backlog passes its bound.
  std::string big(200000, 'x');
  for (int i = 0; i < 40; ++i) {
    big[0] = static_cast<char>('a' + i % 26);
    auto put = g.call(1, {"PUT", "/v1/refs/big", R"({"value": ")" + big + "\"}"});
    BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  }
  std::size_t frames = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       !slow.closed() && std::chrono::steady_clock::now() < deadline;)
    if (slow.next(1s))
      ++frames;
  BOOST_TEST_REQUIRE(slow.closed());
  BOOST_TEST(slow.close_code() == 1008u);
  BOOST_TEST(slow.close_reason().find("slow consumer") != std::string::npos, slow.close_reason());
  BOOST_TEST(frames < 41u);
  BOOST_TEST_MESSAGE(frames << " frames read before the close: " << slow.close_reason());
  // The member serves on.
  ws_connection fresh{g.http_ports[0], "/v1/watch/refs/big"};
  BOOST_TEST(next_frame(fresh)["type"] == "value");
}

BOOST_AUTO_TEST_CASE(the_dashboard_stream_shows_members_leader_and_a_written_ref) {
  gateway_cluster g;
  g.wait_ready();
  ws_connection dash{g.http_ports[2], "/v1/dashboard/stream"};
  auto first = next_frame(dash);
  BOOST_TEST(first["type"] == "overview");
  BOOST_TEST(first["member"] == "node-3");
  BOOST_TEST_REQUIRE(first["members"].size() == 3u);
  std::set<std::string> names;
  for (const auto& m : first["members"])
    names.insert(m["name"].get<std::string>());
  BOOST_TEST(names.count(first["leader"].get<std::string>()) == 1u, first.dump());
  auto put = g.call(0, {"PUT", "/v1/refs/shown/here", R"({"value": "on the page"})"});
  BOOST_TEST_REQUIRE(put.status == 200u);
  auto version = json_of(put)["version"];
  bool shown = false;
  for (auto deadline = std::chrono::steady_clock::now() + 3s;
       !shown && std::chrono::steady_clock::now() < deadline;) {
    auto f = next_frame(dash);
    for (const auto& item : f["refs"]["items"])
      shown = shown || (item["id"] == "shown/here" && item["value"] == "on the page" &&
                        item["version"] == version);
  }
  BOOST_TEST(shown);
  // Writes through the page's own member show a commit latency, whether it
  // leads (its log) or follows (what it forwarded).
  bool latency = false;
  for (int i = 0; i < 20 && !latency; ++i) {
    BOOST_TEST_REQUIRE(g.call(2, {"PUT", "/v1/refs/timed", R"({"value": "x"})"}).status == 200u);
    auto f = next_frame(dash);
    latency = f["raft"]["commit_latency_ms"]["p50"].is_number() &&
              f["raft"]["commit_latency_ms"]["p99"].is_number();
  }
  BOOST_TEST(latency);
  // The page's files are served without a token, the stream is counted.
  auto page = g.call(2, {"GET", "/"});
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(page.headers["content-type"].find("text/html") == 0u);
  BOOST_TEST(page.body.find("dashboard.js") != std::string::npos);
  BOOST_TEST(g.call(2, {"GET", "/dashboard.js"}).status == 200u);
  auto metrics = g.call(2, {"GET", "/metrics"}).body;
  BOOST_TEST(metrics.find("dref_http_open_websockets 1\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("dref_store_refs 2\n") != std::string::npos); // shown/here, timed
  BOOST_TEST(metrics.find("dref_raft_leader_changes_total 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
