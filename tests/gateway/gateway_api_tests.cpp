// The gateway's routes against three dref-node processes, through a real
// HTTP client: refs (linearizable and stale reads, text and base64 values,
// compare-and-set with If-Match, add, transactions), cluster status and leadership
// transfer, the probes and /metrics.

#include "gateway_cluster.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;

BOOST_AUTO_TEST_SUITE(gateway_api)

BOOST_AUTO_TEST_CASE(refs_read_write_compare_and_add) {
  gateway_cluster g;
  g.wait_ready();

  auto put = g.call(0, {"PUT", "/v1/refs/greeting", R"({"value": "hello"})"});
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  auto v1 = json_of(put)["version"].get<std::uint64_t>();

  // Linearizable on another member: the write is there at once.
  auto got = g.call(1, {"GET", "/v1/refs/greeting"});
  BOOST_TEST_REQUIRE(got.status == 200u, got.body);
  auto body = json_of(got);
  BOOST_TEST(body["id"] == "greeting");
  BOOST_TEST(body["value"] == "hello");
  BOOST_TEST(body["encoding"] == "text");
  BOOST_TEST(body["version"].get<std::uint64_t>() == v1);
  BOOST_TEST(got.headers["etag"] == "\"" + std::to_string(v1) + "\"");

  // A stale read answers from the member's own state: the write arrives.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto stale = g.call(2, {"GET", "/v1/refs/greeting?stale=true"});
    if (stale.status == 200 && json_of(stale)["version"].get<std::uint64_t>() == v1) {
      BOOST_TEST(json_of(stale)["value"] == "hello");
      break;
    }
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, stale.body);
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(g.call(2, {"GET", "/v1/refs/greeting?stale=maybe"}).status == 400u);

  // A body over 16 KiB is routed on a worker (server.cpp): the same answer.
  std::string large(40000, 'L');
  auto put_large = g.call(0, {"PUT", "/v1/refs/large", R"({"value": ")" + large + "\"}"});
  BOOST_TEST_REQUIRE(put_large.status == 200u, put_large.body);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs/large"}))["value"] == large);

  // Bytes that are not text travel as base64, said so.
  auto binary = g.call(1, {"PUT", "/v1/refs/blob", R"({"value": "AAH/", "encoding": "base64"})"});
  BOOST_TEST_REQUIRE(binary.status == 200u, binary.body);
  auto blob = json_of(g.call(2, {"GET", "/v1/refs/blob"}));
  BOOST_TEST(blob["encoding"] == "base64");
  BOOST_TEST(blob["value"] == "AAH/");
  auto nul = g.call(1, {"PUT", "/v1/refs/blob", R"({"value": "a\u0000b"})"});
  BOOST_TEST_REQUIRE(nul.status == 200u, nul.body);
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/refs/blob"}))["value"] == "YQBi");

  auto absent = g.call(0, {"GET", "/v1/refs/absent"});
  BOOST_TEST(absent.status == 404u);
  BOOST_TEST(error_code(absent) == "not_found");
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/absent?stale=true"}).status == 404u);

  // Compare-and-set: the version read, bare or as the ETag gives it.
  auto cas = g.call(
      2, {"PUT", "/v1/refs/greeting", R"({"value": "hi"})", {{"If-Match", std::to_string(v1)}}});
  BOOST_TEST_REQUIRE(cas.status == 200u, cas.body);
  auto v2 = json_of(cas)["version"].get<std::uint64_t>();
  BOOST_TEST(v2 > v1);
  auto lost = g.call(
      1, {"PUT", "/v1/refs/greeting", R"({"value": "late"})", {{"If-Match", std::to_string(v1)}}});
  BOOST_TEST(lost.status == 412u);
  BOOST_TEST(error_code(lost) == "version_conflict");
  BOOST_TEST(json_of(lost)["version"].get<std::uint64_t>() == v2);
  auto quoted = g.call(0, {"PUT",
                           "/v1/refs/greeting",
                           R"({"value": "again"})",
                           {{"If-Match", "\"" + std::to_string(v2) + "\""}}});
  BOOST_TEST(quoted.status == 200u, quoted.body);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs/greeting"}))["value"] == "again");
  BOOST_TEST(
      g.call(0, {"PUT", "/v1/refs/greeting", R"({"value": "x"})", {{"If-Match", "v1"}}}).status ==
      400u);

  // The built-in counter command.
  auto added = g.call(0, {"POST", "/v1/refs/hits/add", R"({"delta": 5})"});
  BOOST_TEST_REQUIRE(added.status == 200u, added.body);
  BOOST_TEST(json_of(added)["value"] == 5);
  added = g.call(1, {"POST", "/v1/refs/hits/add", R"({"delta": -2})"});
  BOOST_TEST(json_of(added)["value"] == 3);
  BOOST_TEST(json_of(added)["id"] == "hits");
  BOOST_TEST(g.call(1, {"POST", "/v1/refs/hits/add", R"({"delta": 1.5})"}).status == 400u);
  BOOST_TEST(g.call(1, {"POST", "/v1/refs/greeting/add", R"({"delta": 1})"}).status == 400u);

  // A client that waits for 100 Continue before it sends its body (curl
  // does, for large ones).
  test::raw_connection waits{g.http_ports[0]};
  std::string continued = R"({"value": "continued"})";
  waits.send("PUT /v1/refs/continued HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
             "Content-Length: " +
             std::to_string(continued.size()) + "\r\n\r\n");
  BOOST_TEST(waits.read_for(2s).starts_with("HTTP/1.1 100 Continue"));
  waits.send(continued);
  BOOST_TEST(waits.read_for(2s).starts_with("HTTP/1.1 200"));
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs/continued"}))["value"] == "continued");

  // The native API sees what HTTP wrote, and the other way round.
  auto native = g.cluster.ctx(0).existing<std::string, raw_codec>(manual_id("greeting"));
  BOOST_TEST(native.get() == "again");
  native.set("from native");
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/refs/greeting"}))["value"] == "from native");

  // A transaction: every compare, then every write at one version.
  auto greeting = json_of(g.call(0, {"GET", "/v1/refs/greeting"}))["version"].get<std::uint64_t>();
  auto txn = g.call(1, {"POST", "/v1/txn",
                        R"({"compare": [{"id": "greeting", "version": )" +
                            std::to_string(greeting) + R"(}, {"id": "txn/new", "version": 0}],
                            "write": [{"id": "greeting", "value": "in a txn"},
                                      {"id": "txn/new", "value": "AAH/", "encoding": "base64"},
                                      {"id": "continued", "remove": true}]})"});
  BOOST_TEST_REQUIRE(txn.status == 200u, txn.body);
  BOOST_TEST(json_of(txn)["committed"] == true);
  auto at = json_of(txn)["version"].get<std::uint64_t>();
  auto in_txn = json_of(g.call(2, {"GET", "/v1/refs/greeting"}));
  BOOST_TEST(in_txn["value"] == "in a txn");
  BOOST_TEST(in_txn["version"].get<std::uint64_t>() == at);
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/refs/txn/new"}))["value"] == "AAH/");
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/continued"}).status == 404u);
  auto failed = g.call(0, {"POST", "/v1/txn",
                           R"({"compare": [{"id": "txn/new", "version": 0}],
                               "write": [{"id": "greeting", "value": "never"}]})"});
  BOOST_TEST(failed.status == 412u, failed.body);
  auto why = json_of(failed);
  BOOST_TEST(why["committed"] == false);
  BOOST_TEST(why["failed"]["index"] == 0);
  BOOST_TEST(why["failed"]["id"] == "txn/new");
  BOOST_TEST(why["failed"]["found_version"].get<std::uint64_t>() == at);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs/greeting"}))["value"] == "in a txn");
  for (const char* bad :
       {R"({"compare": 1})", R"({"compare": [{"id": "a"}]})", R"({"write": [{"id": "a"}]})",
        R"({"write": [{"value": "a"}]})",
        R"({"write": [{"id": "a", "remove": true, "value": "x"}]})",
        R"({"write": [{"id": "a", "remove": true, "ttl_ms": 5000}]})",
        R"({"write": [{"id": "a", "value": "x", "ttl_ms": 5000, "session": "s"}]})",
        R"({"write": [{"id": "a", "value": "x", "ttl_ms": "soon"}]})",
        R"({"write": [{"id": "a", "value": "x", "ttl_ms": 1}]})",
        R"({"write": [{"id": "a", "value": "!", "encoding": "base64"}]})"}) {
    auto refused = g.call(0, {"POST", "/v1/txn", bad});
    BOOST_TEST(refused.status == 400u, bad << " -> " << refused.body);
    BOOST_TEST(error_code(refused) == "invalid_argument", refused.body);
  }
  auto twice =
      g.call(0, {"POST", "/v1/txn",
                 R"({"write": [{"id": "a", "value": "1"}, {"id": "a", "remove": true}]})"});
  BOOST_TEST(twice.status == 400u, twice.body);
  BOOST_TEST(g.call(0, {"GET", "/v1/txn"}).status == 405u);
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/a"}).status == 404u); // no refusal wrote

  // Owned writes: one owned by an HTTP session, one with a TTL, one plain.
  auto opened = g.call(0, {"POST", "/v1/sessions", R"({"ttl_ms": 60000})"});
  BOOST_TEST_REQUIRE(opened.status == 200u, opened.body);
  auto session = json_of(opened)["session"].get<std::string>();
  auto owned = g.call(1, {"POST", "/v1/txn",
                          R"({"write": [{"id": "txn/held", "value": "h", "session": ")" + session +
                              R"("}, {"id": "txn/brief", "value": "b", "ttl_ms": 1500},
                                      {"id": "txn/plain", "value": "p"}]})"});
  BOOST_TEST_REQUIRE(owned.status == 200u, owned.body);
  auto brief_gone = [&] { return g.call(2, {"GET", "/v1/refs/txn/brief"}).status == 404u; };
  for (auto start = std::chrono::steady_clock::now();
       !brief_gone() && std::chrono::steady_clock::now() - start < 30s;) // a guard, not a goal
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(brief_gone());
  BOOST_TEST(g.call(2, {"GET", "/v1/refs/txn/held"}).status == 200u);
  BOOST_TEST(g.call(0, {"DELETE", "/v1/sessions/" + session}).status == 200u);
  BOOST_TEST(g.call(2, {"GET", "/v1/refs/txn/held"}).status == 404u);
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/refs/txn/plain"}))["value"] == "p");
}

BOOST_AUTO_TEST_CASE(cluster_status_transfer_probes_and_metrics) {
  gateway_cluster g;
  g.wait_ready();
  for (std::size_t i = 0; i < 3; ++i) {
    auto health = g.call(i, {"GET", "/healthz"});
    BOOST_TEST(health.status == 200u);
    BOOST_TEST(json_of(health)["status"] == "up");
    auto ready = g.call(i, {"GET", "/readyz"});
    BOOST_TEST(ready.status == 200u, ready.body);
    BOOST_TEST(json_of(ready)["ready"] == true);
  }

  // Every member reachable: asked again while one is not (a status call
  // to a member can time out on a loaded machine; what is checked here is
  // the view, not the machine's speed).
  auto status = g.call(1, {"GET", "/v1/cluster/status"});
  auto all_reachable = [](const nlohmann::json& v) {
    for (const auto& member : v["members"])
      if (member["reachable"] != true)
        return false;
    return v["members"].size() == 3u;
  };
  for (auto until = std::chrono::steady_clock::now() + 20s;
       status.status == 200u && !all_reachable(json_of(status)) &&
       std::chrono::steady_clock::now() < until;) {
    BOOST_TEST_MESSAGE("not every member reachable yet: " << status.body);
    std::this_thread::sleep_for(200ms);
    status = g.call(1, {"GET", "/v1/cluster/status"});
  }
  BOOST_TEST_REQUIRE(status.status == 200u, status.body);
  auto view = json_of(status);
  BOOST_TEST(view["member"] == "node-2");
  BOOST_TEST_REQUIRE(view["members"].size() == 3u);
  std::string leader = view["leader"];
  std::string follower;
  int leaders = 0;
  for (const auto& member : view["members"]) {
    BOOST_TEST(member["reachable"] == true, member.dump());
    BOOST_TEST(member["term"].get<std::uint64_t>() > 0u);
    BOOST_TEST(member.contains("commit_index"));
    BOOST_TEST(member.contains("applied_index"));
    if (member["role"] == "leader") {
      ++leaders;
      BOOST_TEST(member["name"] == leader);
    } else {
      follower = member["name"];
    }
  }
  BOOST_TEST(leaders == 1);

  auto moved = g.call(0, {"POST", "/v1/cluster/transfer", "{\"to\": \"" + follower + "\"}"});
  BOOST_TEST_REQUIRE(moved.status == 200u, moved.body);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (json_of(g.call(2, {"GET", "/v1/cluster/status"}))["leader"] != follower) {
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "leader moved");
    std::this_thread::sleep_for(20ms);
  }
  auto nobody = g.call(0, {"POST", "/v1/cluster/transfer", R"({"to": "nobody"})"});
  BOOST_TEST(nobody.status == 404u, nobody.body);
  BOOST_TEST(g.call(0, {"POST", "/v1/cluster/transfer", R"({"name": "x"})"}).status == 400u);

  auto metrics = g.call(0, {"GET", "/metrics"});
  BOOST_TEST_REQUIRE(metrics.status == 200u);
  BOOST_TEST(metrics.headers["content-type"].starts_with("text/plain; version=0.0.4"));
  for (std::string series :
       {"# TYPE dref_raft_term gauge\ndref_raft_term ", "\ndref_raft_commit_index ",
        "\ndref_raft_applied_index ", "\ndref_raft_role{role=\"leader\"} ",
        "\ndref_raft_member_reachable{member=\"node-3\"} 1\n",
        "\ndref_http_requests_total{route=\"/v1/cluster/transfer\",code=\"200\"} 1\n",
        "\ndref_http_requests_total{route=\"/v1/cluster/transfer\",code=\"404\"} 1\n",
        "\n# TYPE dref_http_request_duration_seconds histogram\n",
        "\ndref_http_request_duration_seconds_bucket{le=\"+Inf\"} ",
        "\ndref_http_request_duration_seconds_count ", "\ndref_http_open_connections ",
        "\ndref_http_refused_connections_total 0\n"})
    BOOST_TEST(metrics.body.find(series) != std::string::npos, series);
}

// Many connections at once, as a load generator has them: answers that
// finish together reach the socket thread together (server.cpp,
// on_socket_thread), and every one of them is sent. A lost one would hold
// its connection until the client's 30 s read timeout.
BOOST_AUTO_TEST_CASE(every_concurrent_request_is_answered) {
  gateway_cluster g;
  g.wait_ready();
  constexpr int connections = 16;
  constexpr int adds_each = 50;
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c)
    clients.emplace_back([&] {
      try {
        test::http_connection kept{g.http_ports[0]};
        for (int i = 0; i < adds_each; ++i) {
          auto added = kept.call({"POST", "/v1/refs/many/add", R"({"delta": 1})"});
          ++(added.status == 200u ? answered : failed);
        }
      } catch (const std::exception&) {
        ++failed;
      }
    });
  for (auto& client : clients)
    client.join();
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(answered.load() == connections * adds_each);
  auto counter = g.call(2, {"POST", "/v1/refs/many/add", R"({"delta": 0})"});
  BOOST_TEST(json_of(counter)["value"] == connections * adds_each);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gateway_partition)

// Reads that wait for a quorum (a minute here) occupy every route worker (4
// here) of a cut-off member; /healthz is still answered at once, not after them (the
// probe gives up after 10 s).
BOOST_AUTO_TEST_CASE(liveness_is_not_queued_behind_blocked_reads) {
  gateway_cluster g{{"--request-timeout-ms", "60000", "--http-workers", "4"}};
  g.wait_ready();
  g.cluster.members[2].set_link_cut("node-1", true);
  g.cluster.members[2].set_link_cut("node-2", true);
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (g.call(2, {"GET", "/readyz"}).status != 503u) {
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "node-3 not ready");
    std::this_thread::sleep_for(50ms);
  }
  std::vector<std::thread> readers;
  std::atomic<int> started{0};
  for (int i = 0; i < 6; ++i)
    readers.emplace_back([&g, &started] {
      try {
        test::raw_connection reader{g.http_ports[2]};
        reader.send("GET /v1/refs/r HTTP/1.1\r\nHost: x\r\n\r\n");
        ++started;
        reader.read_for(1s);
      } catch (const std::exception&) {
      }
    });
  while (started.load() < 6)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(200ms); // the reads reach the workers
  test::raw_connection probe{g.http_ports[2]};
  probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto health = probe.read_for(10s);
  BOOST_TEST(health.starts_with("HTTP/1.1 200"), health);
  for (auto& reader : readers)
    reader.join();
}

// The ref routes ask the member without a route worker (router.hpp): with
// the only worker held by a lock acquire that waits 5 s, a put, a get, an
// add, a query and a delete are all answered before that acquire is.
BOOST_AUTO_TEST_CASE(refs_are_answered_while_every_worker_waits) {
  gateway_cluster g{{"--request-timeout-ms", "20000", "--http-workers", "1"}};
  g.wait_ready();
  auto session = [&g] {
    auto opened = g.call(0, {"POST", "/v1/sessions", R"({"ttl_ms": 20000})"});
    BOOST_TEST_REQUIRE(opened.status == 200u, opened.body);
    return json_of(opened)["session"].get<std::string>();
  };
  auto holder = session();
  auto waiter = session();
  auto held = g.call(0, {"POST", "/v1/locks/busy/acquire",
                         nlohmann::json{{"session", holder}, {"owner", "a"}}.dump()});
  BOOST_TEST_REQUIRE(held.status == 200u, held.body);
  std::atomic<bool> acquire_answered{false};
  std::thread acquire{[&] {
    g.call(0, {"POST", "/v1/locks/busy/acquire",
               nlohmann::json{{"session", waiter}, {"owner", "b"}, {"wait_ms", 5000}}.dump()});
    acquire_answered = true;
  }};
  std::this_thread::sleep_for(300ms); // the acquire reaches the worker
  auto put = g.call(0, {"PUT", "/v1/refs/free", R"({"value": "v"})"});
  auto got = g.call(0, {"GET", "/v1/refs/free"});
  auto added = g.call(0, {"POST", "/v1/refs/count/add", R"({"delta": 2})"});
  auto queried = g.call(0, {"POST", "/v1/refs/count/query", R"({"query": "no.such"})"});
  auto removed = g.call(0, {"DELETE", "/v1/refs/free"});
  bool answered_first = !acquire_answered.load();
  acquire.join();
  BOOST_TEST(answered_first);
  BOOST_TEST(put.status == 200u, put.body);
  BOOST_TEST(json_of(got)["value"] == "v");
  BOOST_TEST(json_of(added)["value"] == 2);
  BOOST_TEST(test::error_code(queried) == "unknown_command", queried.body); // the store's answer
  BOOST_TEST(json_of(removed)["removed"] == true);
}

// A member cut off from the others: its stale reads still answer from its
// own state, its linearizable reads cannot, and /readyz says it is not ready.
BOOST_AUTO_TEST_CASE(stale_reads_and_readiness_of_a_cut_off_member) {
  gateway_cluster g{{"--request-timeout-ms", "1000"}};
  g.wait_ready();
  auto put = g.call(0, {"PUT", "/v1/refs/kept", R"({"value": "before"})"});
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  auto version = json_of(put)["version"].get<std::uint64_t>();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (json_of(g.call(2, {"GET", "/v1/refs/kept?stale=true"})).value("version", 0u) != version) {
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "node-3 applied the write");
    std::this_thread::sleep_for(20ms);
  }

  g.cluster.members[2].set_link_cut("node-1", true);
  g.cluster.members[2].set_link_cut("node-2", true);
  deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    auto ready = g.call(2, {"GET", "/readyz"});
    if (ready.status == 503u) {
      BOOST_TEST(error_code(ready) == "not_ready");
      break;
    }
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, ready.body);
    std::this_thread::sleep_for(50ms);
  }
  auto stale = g.call(2, {"GET", "/v1/refs/kept?stale=true"});
  BOOST_TEST(stale.status == 200u, stale.body);
  BOOST_TEST(json_of(stale)["value"] == "before");
  auto linearizable = g.call(2, {"GET", "/v1/refs/kept"});
  BOOST_TEST((linearizable.status == 503u || linearizable.status == 504u), linearizable.body);
  BOOST_TEST(g.call(2, {"GET", "/healthz"}).status == 200u); // up, only not ready

  g.cluster.members[2].set_link_cut("node-1", false);
  g.cluster.members[2].set_link_cut("node-2", false);
  g.wait_ready();
  BOOST_TEST(json_of(g.call(2, {"GET", "/v1/refs/kept"}))["value"] == "before");
}

BOOST_AUTO_TEST_SUITE_END()
