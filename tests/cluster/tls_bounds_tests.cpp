// The TLS bounds of a dref-node (docs/security.md, "Bounds"), against a real
// process: a connection that announces a message over
// network.max_message_bytes is closed before the member allocates it; one
// that never does its TLS handshake is closed after
// network.handshake_timeout_ms; connections over network.max_connections are
// closed at once. Each time the member says so in its log and keeps serving.

#include "dref/protocol/caf/type_ids.hpp"
#include "process_cluster.hpp"

#include <arpa/inet.h>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/wait.h>

using namespace dref;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::file_text;
using test::process_cluster;

namespace {

int dial(std::uint16_t port) {
  int fd = test::dial_loopback(port);
  BOOST_REQUIRE(fd >= 0);
  timeval tick{0, 100'000}; // reads below wait in steps of 100 ms
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  return fd;
}

// Whether the other end closes a plain socket within `patience`.
bool closed_within(int fd, std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = ::recv(fd, buf, sizeof buf, 0);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      return true;
  }
  return false;
}

// A TLS connection with a client certificate the member trusts, made with
// OpenSSL directly, so that the test can write any bytes inside it.
struct raw_tls_connection {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  int fd = -1;

  raw_tls_connection(std::uint16_t port, const config::tls& creds) {
    ctx = SSL_CTX_new(TLS_client_method());
    BOOST_REQUIRE(ctx != nullptr);
    BOOST_REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, creds.certificate.c_str()) == 1);
    BOOST_REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, creds.key.c_str(), SSL_FILETYPE_PEM) == 1);
    BOOST_REQUIRE(SSL_CTX_load_verify_locations(ctx, creds.ca.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    fd = dial(port);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    int done = -1;
    for (int attempt = 0; attempt < 100 && done != 1; ++attempt) {
      ERR_clear_error();
      done = SSL_connect(ssl);
      if (done != 1 && SSL_get_error(ssl, done) != SSL_ERROR_WANT_READ)
        break;
    }
    BOOST_REQUIRE_MESSAGE(done == 1, "TLS handshake with the member");
  }
  ~raw_tls_connection() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
  }

  void write(const std::string& bytes) {
    ERR_clear_error();
    BOOST_REQUIRE(SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) ==
                  static_cast<int>(bytes.size()));
  }

  // Reads (and drops) what the member sends until it closes the connection,
  // or `patience` passed.
  bool closed_within(std::chrono::milliseconds patience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      ERR_clear_error();
      auto got = SSL_read(ssl, buf, sizeof buf);
      if (got > 0)
        continue;
      if (SSL_get_error(ssl, got) != SSL_ERROR_WANT_READ)
        return true;
    }
    return false;
  }
};

// A BASP header (CAF 0.17.6) of `operation` announcing `length` payload
// bytes.
std::string basp_header(std::uint8_t operation, std::uint32_t length) {
  std::string header(32, '\0');
  header[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i)
    header[4 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  return header;
}

// A client handshake's: valid, so that CAF would wait for (and make room
// for) the payload.
std::string handshake_header(std::uint32_t length) {
  return basp_header(0x01, length);
}

std::uint64_t resident_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

struct test_certs {
  fs::path dir;
  test_certs() {
    std::string pattern = (fs::temp_directory_path() / "dref-certs-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    BOOST_REQUIRE(
        std::system(
            (DREF_MAKE_TEST_CERTS " " + dir.string() + " member client >/dev/null").c_str()) == 0);
  }
  ~test_certs() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  config::tls of(const std::string& name) const {
    return {(dir / (name + ".pem")).string(), (dir / (name + ".key")).string(),
            (dir / "ca.pem").string(), "", ""};
  }
  std::vector<std::string> member_flags(std::vector<std::string> more) const {
    auto tls = of("member");
    std::vector<std::string> flags{"--tls-certificate", tls.certificate, "--tls-key", tls.key,
                                   "--tls-ca",          tls.ca};
    flags.insert(flags.end(), more.begin(), more.end());
    return flags;
  }
};

struct bounded_member {
  explicit bounded_member(std::vector<std::string> bounds)
      : c{1, certs.member_flags(std::move(bounds)), certs.of("client")} {}
  test_certs certs;
  process_cluster c;

  std::string log() const { return file_text(c.root / "node-1.log"); }
  void still_serving(const std::string& key) {
    auto st = c.members[0].status(c.sys, 5s);
    BOOST_TEST_REQUIRE(st.has_value(), (st ? "" : st.error().message));
    BOOST_TEST(c.ctx(0).make<std::string>("still here", manual_id(key)).get() == "still here");
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(tls_bounds)

// Without the bound, CAF keeps the connection and makes a 1 GiB buffer
// for the payload it waits for.
BOOST_AUTO_TEST_CASE(a_message_over_the_bound_closes_its_connection_unallocated) {
  bounded_member m{{}}; // the default bound, 128 MiB
  auto before = resident_kib(m.c.nodes[0]->pid());
  for (auto port : {m.c.ports[0], static_cast<std::uint16_t>(m.c.ports[0] + 1)}) {
    raw_tls_connection hostile{port, m.certs.of(port == m.c.ports[0] ? "client" : "member")};
    hostile.write(handshake_header(1u << 30));
    BOOST_TEST(hostile.closed_within(5s), "port " << port << " closes the connection");
  }
  auto after = resident_kib(m.c.nodes[0]->pid());
  BOOST_TEST_MESSAGE("member resident: " << before << " KiB before, " << after << " KiB after");
  BOOST_TEST(after < before + 256 * 1024, "the member did not make room for 1 GiB");
  BOOST_TEST(m.log().find("announced a message of 1073741824 bytes, over "
                          "network.max_message_bytes = 134217728") != std::string::npos,
             m.log());
  m.still_serving("bounds/after-oversized");
}

BOOST_AUTO_TEST_CASE(a_connection_without_a_handshake_is_closed_after_the_timeout) {
  bounded_member m{{"--handshake-timeout-ms", "500"}};
  int silent = dial(m.c.ports[0]);
  auto started = std::chrono::steady_clock::now();
  BOOST_TEST(closed_within(silent, 5s), "the member closes a silent connection");
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_TEST(waited >= 400ms, "not before the timeout");
  ::close(silent);
  BOOST_TEST(m.log().find("no TLS handshake within 500 ms (network.handshake_timeout_ms)") !=
                 std::string::npos,
             m.log());
  m.still_serving("bounds/after-silence");
}

BOOST_AUTO_TEST_CASE(connections_over_the_bound_are_closed_at_once) {
  constexpr int bound = 8;
  constexpr int opened = 20;
  bounded_member m{{"--max-connections", std::to_string(bound)}};
  std::vector<int> fds;
  for (int i = 0; i < opened; ++i)
    fds.push_back(dial(m.c.ports[0]));
  int closed = 0;
  for (int fd : fds)
    closed += closed_within(fd, 300ms) ? 1 : 0;
  // The fixture's own client holds connections too: at least the surplus
  // goes, and never every one.
  BOOST_TEST(closed >= opened - bound);
  BOOST_TEST(closed < opened);
  for (int fd : fds)
    ::close(fd);
  BOOST_TEST(m.log().find("connections are open (network.max_connections)") != std::string::npos,
             m.log());
  std::this_thread::sleep_for(500ms); // the member frees the slots
  m.still_serving("bounds/after-flood");
}

// What a peer may send on its connection (actors/net/peer_roles.hpp): the
// guard closes the connection and says why before CAF reads the frame.
BOOST_AUTO_TEST_CASE(frames_a_peer_may_not_send_close_its_connection) {
  bounded_member m{{}};
  auto member_port = static_cast<std::uint16_t>(m.c.ports[0] + 1);
  {
    // A relay through the client port to another node.
    raw_tls_connection client{m.c.ports[0], m.certs.of("client")};
    client.write(basp_header(0x03, 0)); // routed_message
    BOOST_TEST(client.closed_within(5s));
  }
  BOOST_TEST(m.log().find("a routed message its peer may not send") != std::string::npos, m.log());
  std::this_thread::sleep_for(1100ms); // one line a second per kind
  {
    // The handshake of the side that accepted, from the side that dialed.
    raw_tls_connection member{member_port, m.certs.of("member")};
    member.write(basp_header(0x00, 0)); // server_handshake
    BOOST_TEST(member.closed_within(5s));
  }
  BOOST_TEST(m.log().find("a server handshake its peer may not send") != std::string::npos,
             m.log());
  m.still_serving("bounds/after-forbidden-frames");
}

BOOST_AUTO_TEST_CASE(a_bound_below_what_the_limits_need_is_refused_at_start) {
  std::string command = std::string{"timeout 20 "} + DREF_NODE_BIN +
                        " --backend raft --data-dir /nonexistent --max-message-bytes 1048576 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
    out.append(buffer, n);
  int status = ::pclose(pipe);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 2), out);
  BOOST_TEST(out.find("network.max_message_bytes = 1048576 from --max-message-bytes=1048576 "
                      "(command line) is below 70254592") != std::string::npos,
             out);
}

BOOST_AUTO_TEST_SUITE_END()
