// Who may use the gateway: bearer tokens and their roles, TLS with the
// node's certificate, and the configurations dref-node refuses to start
// with (tokens missing on a non-loopback address, a bad tokens file).

#include "gateway_cluster.hpp"
#include "test_certs.hpp"
#include "websocket_client.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>

using namespace dref;
using namespace std::chrono_literals;
using test::error_code;
using test::gateway_cluster;
using test::json_of;
namespace fs = std::filesystem;

namespace {

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string pattern = (fs::temp_directory_path() / "dref-gateway-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream{path / name} << text;
    return (path / name).string();
  }
};

std::pair<std::string, std::string> bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

// dref-node with `flags` as a single member; its exit code once it stopped
// by itself (-1 if it kept running).
int exit_code_of_node(const scratch_dir& dir, std::vector<std::string> flags,
                      std::string& log_text) {
  auto port = test::free_loopback_port();
  std::vector<std::string> argv{DREF_NODE_BIN,
                                "--backend",
                                "raft",
                                "--node-id",
                                "node-1",
                                "--port",
                                std::to_string(port),
                                "--data-dir",
                                (dir.path / "data").string(),
                                "--peers",
                                "127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto log_path = (dir.path / "node.log").string();
  test::child_process node{argv, log_path};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (node.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  bool stopped_by_itself = !node.running();
  int status = node.stop();
  log_text = test::file_text(log_path);
  return stopped_by_itself && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gateway_access)

BOOST_AUTO_TEST_CASE(tokens_and_roles) {
  scratch_dir dir;
  auto tokens = dir.write("tokens", "# token role\nr-token read\nw-token write\n\na-token admin\n");
  gateway_cluster g{{"--http-tokens-file", tokens}};
  g.wait_ready(); // the probes need no token

  auto anonymous = g.call(0, {"GET", "/v1/refs/x"});
  BOOST_TEST(anonymous.status == 401u);
  BOOST_TEST(error_code(anonymous) == "unauthorized");
  BOOST_TEST(anonymous.headers["www-authenticate"] == "Bearer");
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/x", "", {bearer("guess")}}).status == 401u);
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/x", "", {{"Authorization", "r-token"}}}).status == 401u);
  BOOST_TEST(g.call(0, {"GET", "/metrics"}).status == 401u);
  BOOST_TEST(g.call(0, {"GET", "/v1/cluster/status"}).status == 401u);
  BOOST_TEST(g.call(0, {"GET", "/healthz"}).status == 200u);

  // read: reads, status, metrics; no writes.
  BOOST_TEST(g.call(0, {"GET", "/v1/refs/x", "", {bearer("r-token")}}).status == 404u);
  BOOST_TEST(g.call(0, {"GET", "/metrics", "", {bearer("r-token")}}).status == 200u);
  BOOST_TEST(g.call(0, {"GET", "/v1/cluster/status", "", {bearer("r-token")}}).status == 200u);
  auto read_put = g.call(0, {"PUT", "/v1/refs/x", R"({"value": "v"})", {bearer("r-token")}});
  BOOST_TEST(read_put.status == 403u);
  BOOST_TEST(error_code(read_put) == "forbidden");
  BOOST_TEST(g.call(0, {"POST", "/v1/refs/x/add", R"({"delta": 1})", {bearer("r-token")}}).status ==
             403u);
  // A named query is a read (400: no such query here, so past the role
  // check); a named command a write.
  const std::string run_body = R"({"command": "no.such"})";
  const std::string query_body = R"({"query": "no.such"})";
  BOOST_TEST(g.call(0, {"POST", "/v1/refs/x/query", query_body}).status == 401u);
  BOOST_TEST(g.call(0, {"POST", "/v1/refs/x/query", query_body, {bearer("r-token")}}).status ==
             400u);
  BOOST_TEST(g.call(0, {"POST", "/v1/refs/x/run", run_body, {bearer("r-token")}}).status == 403u);
  BOOST_TEST(g.call(0, {"POST", "/v1/refs/x/run", run_body, {bearer("w-token")}}).status == 400u);
  const std::string txn_body = R"({"write": [{"id": "t", "value": "v"}]})";
  BOOST_TEST(g.call(0, {"POST", "/v1/txn", txn_body, {bearer("r-token")}}).status == 403u);
  BOOST_TEST(g.call(0, {"POST", "/v1/txn", txn_body}).status == 401u);

  // write: writes too; no leadership transfer.
  BOOST_TEST(g.call(1, {"PUT", "/v1/refs/x", R"({"value": "v"})", {bearer("w-token")}}).status ==
             200u);
  BOOST_TEST(g.call(1, {"POST", "/v1/refs/n/add", R"({"delta": 1})", {bearer("w-token")}}).status ==
             200u);
  BOOST_TEST(g.call(1, {"GET", "/v1/refs/x", "", {bearer("w-token")}}).status == 200u);
  BOOST_TEST(g.call(1, {"POST", "/v1/txn", txn_body, {bearer("w-token")}}).status == 200u);
  BOOST_TEST(g.call(1, {"POST", "/v1/cluster/transfer", R"({"to": "nobody"})", {bearer("w-token")}})
                 .status == 403u);

  // admin: everything (the transfer is authorised, then finds no such member).
  auto transfer =
      g.call(2, {"POST", "/v1/cluster/transfer", R"({"to": "nobody"})", {bearer("a-token")}});
  BOOST_TEST(transfer.status == 404u, transfer.body);
  BOOST_TEST(g.call(2, {"PUT", "/v1/refs/x", R"({"value": "w"})", {bearer("a-token")}}).status ==
             200u);
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/refs/x", "", {bearer("r-token")}}))["value"] == "w");

  // Sessions and locks: read may observe, write may hold.
  BOOST_TEST(g.call(0, {"POST", "/v1/sessions", R"({"ttl_ms": 5000})"}).status == 401u);
  BOOST_TEST(
      g.call(0, {"POST", "/v1/sessions", R"({"ttl_ms": 5000})", {bearer("r-token")}}).status ==
      403u);
  auto session = g.call(0, {"POST", "/v1/sessions", R"({"ttl_ms": 5000})", {bearer("w-token")}});
  BOOST_TEST_REQUIRE(session.status == 200u, session.body);
  auto held = nlohmann::json{{"session", json_of(session)["session"]}}.dump();
  BOOST_TEST(g.call(0, {"POST", "/v1/locks/l/acquire", held, {bearer("r-token")}}).status == 403u);
  BOOST_TEST(g.call(0, {"POST", "/v1/locks/l/acquire", held, {bearer("w-token")}}).status == 200u);
  BOOST_TEST(g.call(0, {"GET", "/v1/locks/l", "", {bearer("r-token")}}).status == 200u);
  BOOST_TEST(g.call(0, {"GET", "/v1/elections/e"}).status == 401u);

  // Streams: the token in the header or, from a browser, as access_token.
  auto refused_with = [&](const std::string& target, test::http_call::header_list headers) {
    try {
      test::ws_connection ws{g.http_ports[1], target, {}, std::move(headers)};
    } catch (const test::stream_refused& no) {
      return no.status;
    }
    return 101u;
  };
  BOOST_TEST(refused_with("/v1/watch/refs/x", {}) == 401u);
  BOOST_TEST(refused_with("/v1/watch/refs/x?access_token=guess", {}) == 401u);
  BOOST_TEST(refused_with("/v1/dashboard/stream", {}) == 401u);
  test::ws_connection by_header{g.http_ports[1], "/v1/watch/refs/x", {}, {bearer("r-token")}};
  BOOST_TEST(by_header.next(10s).value_or("").find("\"value\":\"w\"") != std::string::npos);
  test::ws_connection by_query{g.http_ports[1], "/v1/dashboard/stream?access_token=r-token"};
  BOOST_TEST(by_query.next(10s).value_or("").find("\"overview\"") != std::string::npos);
  // The page itself carries no data: served without a token.
  BOOST_TEST(g.call(1, {"GET", "/"}).status == 200u);
}

BOOST_AUTO_TEST_CASE(tls_with_the_node_certificate) {
  test::test_certs certs{{{"", "member client"}}};
  config::tls client{certs.certificate("client"), certs.key("client"), certs.ca(), "", ""};
  gateway_cluster g{{"--tls-certificate", certs.certificate("member"), "--tls-key",
                     certs.key("member"), "--tls-ca", certs.ca()},
                    client,
                    certs.ca()};
  g.wait_ready();
  auto put = g.call(0, {"PUT", "/v1/refs/secret", R"({"value": "over tls"})"});
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  BOOST_TEST(json_of(g.call(1, {"GET", "/v1/refs/secret"}))["value"] == "over tls");
  // Keep-alive over TLS: several requests on one connection.
  test::http_connection kept{g.http_ports[2], certs.ca()};
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(kept.call({"GET", "/healthz"}).status == 200u);
  // A stream over TLS (wss).
  test::ws_connection watch{g.http_ports[1], "/v1/watch/refs/secret", certs.ca()};
  BOOST_TEST(watch.next(10s).value_or("").find("over tls") != std::string::npos);
  BOOST_TEST(g.call(0, {"PUT", "/v1/refs/secret", R"({"value": "still tls"})"}).status == 200u);
  BOOST_TEST(watch.next(10s).value_or("").find("still tls") != std::string::npos);
  // Plain HTTP to the TLS port gets no HTTP answer.
  BOOST_CHECK_THROW(test::http_once(g.http_ports[0], {"GET", "/healthz"}), std::runtime_error);
  // The member keeps serving TLS clients after that.
  BOOST_TEST(g.call(0, {"GET", "/healthz"}).status == 200u);
}

BOOST_AUTO_TEST_CASE(refuses_to_start_unprotected_or_with_bad_tokens) {
  scratch_dir dir;
  std::string log;
  auto http_port = std::to_string(test::free_loopback_port());
  BOOST_TEST(exit_code_of_node(dir, {"--http-port", http_port, "--http-listen", "0.0.0.0"}, log) ==
             2);
  BOOST_TEST(log.find("without tokens") != std::string::npos, log);

  auto bad = dir.write("bad-tokens", "t1 read\nt2 superuser\n");
  BOOST_TEST(exit_code_of_node(dir, {"--http-port", http_port, "--http-tokens-file", bad}, log) ==
             2);
  BOOST_TEST(log.find("line 2") != std::string::npos, log);

  BOOST_TEST(exit_code_of_node(
                 dir,
                 {"--http-port", http_port, "--http-tokens-file", (dir.path / "missing").string()},
                 log) == 2);
  BOOST_TEST(log.find("cannot be read") != std::string::npos, log);
}

BOOST_AUTO_TEST_SUITE_END()
