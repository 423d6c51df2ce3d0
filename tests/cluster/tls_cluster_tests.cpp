// Real dref-node processes over mutual TLS (docs/security.md): values, a
// lock and drefctl work; a client without a certificate, with one from
// another CA, plain TCP or junk bytes is refused and the member keeps
// serving; and protected mode: no plain TCP on a non-loopback address
// unless --insecure. The refusals run against one member each, so that one
// refusal cannot hide behind another and a cluster's start-up noise cannot
// hide a broken connection (actors/net/libssl_calls.cpp).

#include "dref/protocol/caf/type_ids.hpp"
#include "process_cluster.hpp"

#include <arpa/inet.h>
#include <boost/test/unit_test.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <cstdlib>
#include <iostream>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <sys/wait.h>

using namespace dref;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::drefctl;
using test::file_text;
using test::process_cluster;

namespace {

// A test CA with a member and a client certificate, and a second CA with
// a certificate of its own, made by scripts/make-test-certs in a scratch
// directory that goes with the fixture (private keys are never committed).
struct test_certs {
  fs::path dir;
  test_certs() {
    std::string pattern = (fs::temp_directory_path() / "dref-certs-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    for (std::string args :
         {dir.string() + " member client", (dir / "other").string() + " intruder"})
      BOOST_REQUIRE(std::system((DREF_MAKE_TEST_CERTS " " + args + " >/dev/null").c_str()) == 0);
  }
  ~test_certs() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  config::tls client() const { return signed_by(dir, "client", dir); }
  // Signed by the other CA, trusting ours: our members refuse it.
  config::tls intruder() const { return signed_by(dir / "other", "intruder", dir); }
  std::vector<std::string> member_flags() const {
    auto tls = signed_by(dir, "member", dir);
    return {"--tls-certificate", tls.certificate, "--tls-key", tls.key, "--tls-ca", tls.ca};
  }
  std::vector<std::string> drefctl_flags(const config::tls& tls) const {
    return {"--tls-certificate", tls.certificate, "--tls-key", tls.key, "--tls-ca", tls.ca};
  }

private:
  static config::tls signed_by(const fs::path& at, const std::string& name, const fs::path& ca) {
    return {(at / (name + ".pem")).string(), (at / (name + ".key")).string(),
            (ca / "ca.pem").string(), "", ""};
  }
};

template <std::size_t Members>
struct tls_cluster {
  test_certs certs;
  process_cluster c{Members, certs.member_flags(), certs.client()};

  // The member answers a status request and a write from the fixture's own
  // (trusted) client.
  void still_serving(std::size_t i, const std::string& key) {
    auto st = c.members[i].status(c.sys, 5s);
    BOOST_TEST_REQUIRE(st.has_value(), (st ? "" : st.error().message));
    BOOST_TEST(c.ctx(i).make<std::string>("still here", manual_id(key)).get() == "still here");
  }
};

// Connects from an actor system built from `cfg`; the error, if refused.
std::optional<std::string> refused(caf::actor_system_config& cfg, std::uint16_t port) {
  caf::actor_system sys{cfg};
  try {
    (void)raft_member::connect(sys, "127.0.0.1", port, 300ms);
    return std::nullopt;
  } catch (const error_exception& ex) {
    return ex.error().message;
  }
}

// Bytes that are not a TLS handshake, on a raw socket.
void send_junk(std::uint16_t port) {
  int fd = test::dial_loopback(port);
  BOOST_REQUIRE(fd >= 0);
  std::string junk(4096, 'x');
  (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(100ms);
  ::close(fd);
}

// Runs dref-node with `flags` and waits for it to exit by itself (or stops
// it after `patience`); its exit code and its log.
std::pair<int, std::string> run_node(const std::vector<std::string>& flags,
                                     std::chrono::milliseconds patience) {
  std::string pattern = (fs::temp_directory_path() / "dref-node-XXXXXX").string();
  fs::path dir = ::mkdtemp(pattern.data());
  std::vector<std::string> argv{DREF_NODE_BIN,
                                "--backend",
                                "raft",
                                "--data-dir",
                                (dir / "data").string(),
                                "--port",
                                std::to_string(test::free_loopback_port())};
  argv.insert(argv.end(), flags.begin(), flags.end());
  int code = -1;
  {
    test::child_process node{argv, (dir / "log").string()};
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (node.running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    int status = node.stop();
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  auto log = file_text(dir / "log");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return {code, log};
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_cluster_suite)

BOOST_FIXTURE_TEST_CASE(values_a_lock_and_drefctl_work_over_mutual_tls, tls_cluster<1>) {
  auto r = c.ctx(0).make<std::string>("v0", manual_id("tls/value"));
  r.set("v1");
  BOOST_TEST(c.ctx(0).existing<std::string>(manual_id("tls/value")).get() == "v1");
  {
    auto held = c.ctx(0).lock(manual_id("tls/lock"));
    BOOST_TEST(held.fencing_token() > 0u);
  }

  auto ctl = [&](std::vector<std::string> args) {
    auto flags = certs.drefctl_flags(certs.client());
    flags.insert(flags.end(), {"--endpoints", c.endpoints(), "--timeout", "10s"});
    args.insert(args.begin(), flags.begin(), flags.end());
    return drefctl(args);
  };
  auto set = ctl({"set", "tls/ctl", "hello"});
  BOOST_TEST(set.code == 0, set.err);
  BOOST_TEST(ctl({"get", "tls/ctl"}).out.starts_with("hello\n"));
  auto locked = ctl({"lock", "tls/ctl-lock", "--", "sh", "-c", "echo token=$DREF_FENCING_TOKEN"});
  BOOST_TEST(locked.code == 0, locked.err);
  BOOST_TEST(locked.out.starts_with("token="));
  BOOST_TEST(ctl({"status"}).code == 0);

  // drefctl without TLS flags is refused, and says why.
  auto plain = drefctl({"--endpoints", c.endpoint(0), "get", "tls/ctl"});
  BOOST_TEST(plain.code == 1);
  BOOST_TEST(plain.err.find("did not complete the handshake") != std::string::npos, plain.err);
  // Half a TLS setting is a usage error.
  auto half = drefctl({"--endpoints", c.endpoint(0), "--tls-ca", certs.client().ca, "status"});
  BOOST_TEST(half.code == 2);
  BOOST_TEST(half.err.find("go together") != std::string::npos, half.err);
}

// Each refused client on a member of its own, so that one refusal cannot
// hide behind another.
BOOST_FIXTURE_TEST_CASE(a_plain_tcp_client_is_refused, tls_cluster<1>) {
  node_system_config plain;
  auto why = refused(plain, c.ports[0]);
  BOOST_TEST_REQUIRE(why.has_value());
  BOOST_TEST(why->find("did not complete the handshake") != std::string::npos, *why);
  still_serving(0, "tls/after-plain");
}

BOOST_FIXTURE_TEST_CASE(a_tls_client_without_a_certificate_is_refused, tls_cluster<1>) {
  // CAF's openssl module with nothing set: anonymous ciphers, no certificate.
  caf::actor_system_config anonymous;
  anonymous.load<caf::io::middleman>();
  anonymous.load<caf::openssl::manager>();
  protocol::register_with(anonymous);
  auto why = refused(anonymous, c.ports[0]);
  BOOST_TEST_REQUIRE(why.has_value());
  BOOST_TEST(why->find("did not complete the handshake") != std::string::npos, *why);
  still_serving(0, "tls/after-anonymous");
}

BOOST_FIXTURE_TEST_CASE(a_client_certificate_from_another_ca_is_refused, tls_cluster<1>) {
  config::node_config intruder;
  intruder.tls = certs.intruder();
  node_system_config other_ca{intruder};
  auto why = refused(other_ca, c.ports[0]);
  BOOST_TEST_REQUIRE(why.has_value());
  BOOST_TEST(why->find("did not complete the handshake") != std::string::npos, *why);
  still_serving(0, "tls/after-other-ca");
}

BOOST_FIXTURE_TEST_CASE(junk_bytes_are_refused, tls_cluster<1>) {
  send_junk(c.ports[0]);
  still_serving(0, "tls/after-junk");
}

// 200 hostile connections held open at once: a third send random bytes
// (up to 4 KiB), a third the start of a TLS record that promises 16 KiB and
// never delivers it, a third nothing. Meanwhile the member keeps serving
// its clients, and a new client (a new TLS handshake) gets in. The times
// are printed (the goal, an answer within 1 s, is judged by a person or a
// bench, not by this test).
BOOST_FIXTURE_TEST_CASE(two_hundred_junk_connections_leave_the_member_serving, tls_cluster<1>) {
  auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("junk seed " << seed);
  std::mt19937 rng{seed};
  std::vector<int> held;
  for (int i = 0; i < 200; ++i) {
    int fd = test::dial_loopback(c.ports[0]);
    BOOST_REQUIRE(fd >= 0);
    held.push_back(fd);
    std::string bytes;
    if (i % 3 == 0) {
      bytes.resize(1 + rng() % 4096);
      for (auto& ch : bytes)
        ch = static_cast<char>(rng());
    } else if (i % 3 == 1) {
      bytes = std::string{"\x16\x03\x01\x40\x00", 5} + std::string(64, '\x01');
    }
    if (!bytes.empty())
      (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  std::this_thread::sleep_for(200ms); // the member reads what it got

  auto started = std::chrono::steady_clock::now();
  still_serving(0, "tls/amid-junk");
  auto served = std::chrono::steady_clock::now() - started;
  started = std::chrono::steady_clock::now();
  {
    node_system_config cfg{process_cluster::client_config(certs.client())};
    caf::actor_system sys{cfg};
    auto member = raft_member::connect(sys, "127.0.0.1", c.ports[0], 5s);
    context fresh{sys, member, process_cluster::options()};
    BOOST_TEST(fresh.existing<std::string>(manual_id("tls/amid-junk")).get() == "still here");
  }
  auto joined = std::chrono::steady_clock::now() - started;
  std::cout << "200 junk connections held: an existing client served in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(served).count()
            << " ms, a new client connected and read in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(joined).count()
            << " ms (goal: each within 1000 ms)" << std::endl;
  for (int fd : held)
    ::close(fd);
  still_serving(0, "tls/after-junk-closed");
}

// Members dial each other both ways: a cluster forms and replicates.
BOOST_FIXTURE_TEST_CASE(three_members_over_mutual_tls, tls_cluster<3>) {
  BOOST_TEST_REQUIRE(c.leader(10s).has_value());
  auto r = c.ctx(0).make<std::string>("v0", manual_id("tls3/value"));
  r.set("v1");
  BOOST_TEST(c.ctx(2).existing<std::string>(manual_id("tls3/value")).get() == "v1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(protected_mode)

BOOST_AUTO_TEST_CASE(no_plain_tcp_beyond_loopback_unless_insecure) {
  auto [code, log] = run_node({"--listen-host", "0.0.0.0"}, 10s);
  BOOST_TEST(code == 2, log);
  BOOST_TEST(log.find("refusing to listen on 0.0.0.0 without TLS") != std::string::npos, log);
  BOOST_TEST(log.find("--insecure") != std::string::npos, log);

  // --insecure: it runs until stopped (exit 0 on SIGTERM).
  std::tie(code, log) = run_node({"--listen-host", "0.0.0.0", "--insecure"}, 3s);
  BOOST_TEST(code == 0, log);
  BOOST_TEST(log.find("listening on 0.0.0.0") != std::string::npos, log);

  // With TLS it needs no --insecure.
  test_certs certs;
  auto flags = certs.member_flags();
  flags.insert(flags.end(), {"--listen-host", "0.0.0.0"});
  std::tie(code, log) = run_node(flags, 3s);
  BOOST_TEST(code == 0, log);

  // A certificate file that cannot be used stops it at start (CAF would
  // abort the process at its first connection instead).
  flags = certs.member_flags();
  flags[1] = (certs.dir / "missing.pem").string();
  std::tie(code, log) = run_node(flags, 10s);
  BOOST_TEST(code == 2, log);
  BOOST_TEST(log.find("tls.certificate: cannot load") != std::string::npos, log);
}

BOOST_AUTO_TEST_SUITE_END()
