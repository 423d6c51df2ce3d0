// Who may use the gateway: bearer tokens and their roles, TLS with the
// node's certificate, and the configurations dref-node refuses to start
// with (tokens missing on a non-loopback address, a bad tokens file).

#include "gateway_cluster.hpp"
#include "test_certs.hpp"

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

  // write: writes too; no leadership transfer.
  BOOST_TEST(g.call(1, {"PUT", "/v1/refs/x", R"({"value": "v"})", {bearer("w-token")}}).status ==
             200u);
  BOOST_TEST(g.call(1, {"POST", "/v1/refs/n/add", R"({"delta": 1})", {bearer("w-token")}}).status ==
             200u);
  BOOST_TEST(g.call(1, {"GET", "/v1/refs/x", "", {bearer("w-token")}}).status == 200u);
  BOOST_TEST(g.call(1, {"POST", "/v1/cluster/transfer", R"({"to": "nobody"})", {bearer("w-token")}})
                 .status == 403u);

  // admin: everything (the transfer is authorised, then finds no such member).
  auto transfer =
      g.call(2, {"POST", "/v1/cluster/transfer", R"({"to": "nobody"})", {bearer("a-token")}});
  BOOST_TEST(transfer.status == 404u, transfer.body);
  BOOST_TEST(g.call(2, {"PUT", "/v1/refs/x", R"({"value": "w"})", {bearer("a-token")}}).status ==
             200u);
  BOOST_TEST(json_of(g.call(0, {"GET", "/v1/refs/x", "", {bearer("r-token")}}))["value"] == "w");
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
