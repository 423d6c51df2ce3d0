// The redis backend against a real redis-server that wants credentials or
// TLS: a password (requirepass), an ACL user limited to the backend's key
// prefix, TLS with and without client certificates. A wrong password, a
// missing one, an unknown user, a certificate from another CA or for
// another name stop the backend at start with a message naming the cause;
// after a reconnect (connections killed, the server restarted) the client
// authenticates again.
#include "../../../conformance/wait_until.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "redis_test_client.hpp"
#include "test_certs.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace std::chrono_literals;
using test::must;

namespace {

const std::string password = "s3cret pass";

config::node_config secured_node(const test::redis_server& server,
                                 config::redis_security security) {
  config::node_config node;
  node.backend = config::backend_kind::redis;
  node.redis = {"127.0.0.1", server.port()};
  node.redis_key_prefix = "app:";
  node.redis_security = std::move(security);
  return node;
}

config::redis_security with_password(std::string username, std::string secret) {
  config::redis_security security;
  security.username = std::move(username);
  security.password = std::move(secret);
  return security;
}

// Why the backend did not start, or "" when it did.
std::string refusal(const config::node_config& node) {
  node_system_config cfg;
  caf::actor_system sys{cfg};
  try {
    (void)redis_backend::start(sys, node);
    return {};
  } catch (const error_exception& e) {
    BOOST_TEST_MESSAGE(e.error().to_string());
    BOOST_TEST(to_string(e.error().code) == "unavailable");
    return e.error().message;
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A context on the backend writes and reads a value and takes a lock.
void backend_works(const config::node_config& node) {
  node_system_config cfg;
  caf::actor_system sys{cfg};
  context c{sys, redis_backend::start(sys, node)};
  auto r = c.make<int>(1, manual_id("counter"));
  r.set(41);
  r.update([](const int& v) { return v + 1; });
  BOOST_TEST(r.get() == 42);
  auto guard = c.lock(manual_id("lock"));
  BOOST_TEST(guard.fencing_token() > 0);
}

redis::client::options secured_client(const test::redis_server& server,
                                      config::redis_security security) {
  auto opts = test::client_options(server);
  opts.security = std::move(security);
  return opts;
}

test::redis_server password_server() {
  return test::redis_server{{false, false, {"--requirepass", password}}};
}

// Users of a server: "dref" may run every command but the dangerous ones
// (FLUSHALL, CLIENT KILL, CONFIG ...) on its own prefix only; "admin" may do
// anything (the tests kill connections with it); the default user (no
// password) is switched off.
std::vector<std::string> acl_users() {
  return {"--user",        "default", "off",   "--user",      "dref",   "on",    ">" + password,
          "resetchannels", "~app:*",  "+@all", "-@dangerous", "--user", "admin", "on",
          ">" + password,  "~*",      "&*",    "+@all"};
}

test::redis_server acl_server() {
  return test::redis_server{{false, false, acl_users()}};
}

// Every connection of type normal but the caller's is closed by the server.
void kill_connections(const redis::client::options& admin_options) {
  redis::client admin{admin_options};
  auto killed = must(admin.call({"CLIENT", "KILL", "TYPE", "normal"}));
  BOOST_TEST_REQUIRE(!killed.is_error(), killed.text);
  BOOST_TEST_REQUIRE(killed.integer >= 1);
}

struct tls_setup {
  // Our CA with the server's and a client's certificate; another CA with
  // one of its own.
  test::test_certs certs{{{"", "server client"}, {"other", "stranger"}}};

  test::redis_server server(bool auth_clients, std::vector<std::string> more = {}) const {
    std::vector<std::string> args{"--tls-cert-file",    certs.certificate("server"),
                                  "--tls-key-file",     certs.key("server"),
                                  "--tls-ca-cert-file", certs.ca(),
                                  "--tls-auth-clients", auth_clients ? "yes" : "no"};
    args.insert(args.end(), more.begin(), more.end());
    return test::redis_server{{false, true, std::move(args)}};
  }

  config::redis_security trusting(const std::string& ca) const {
    config::redis_security security;
    security.tls = true;
    security.tls_ca = ca;
    return security;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(redis_credentials)

BOOST_AUTO_TEST_CASE(a_password_server_takes_its_password_and_refuses_others_at_start) {
  auto server = password_server();
  backend_works(secured_node(server, with_password("", password)));
  auto wrong = refusal(secured_node(server, with_password("", "not it")));
  BOOST_TEST(contains(wrong, "WRONGPASS"), wrong);
  BOOST_TEST(contains(wrong, "AUTH refused"), wrong);
  auto none = refusal(secured_node(server, {}));
  BOOST_TEST(contains(none, "NOAUTH"), none);
}

BOOST_AUTO_TEST_CASE(an_acl_user_on_its_prefix_runs_the_backend) {
  auto server = acl_server();
  backend_works(secured_node(server, with_password("dref", password)));
  auto stranger = refusal(secured_node(server, with_password("nobody", password)));
  BOOST_TEST(contains(stranger, "WRONGPASS"), stranger);
  auto wrong = refusal(secured_node(server, with_password("dref", "not it")));
  BOOST_TEST(contains(wrong, "WRONGPASS"), wrong);
  auto anonymous = refusal(secured_node(server, {}));
  BOOST_TEST(contains(anonymous, "NOAUTH"), anonymous);
}

// Killed connections come back authenticated: a command after the kill is
// answered, not refused with NOAUTH.
BOOST_AUTO_TEST_CASE(a_reconnect_authenticates_again) {
  auto server = acl_server();
  redis::client c{secured_client(server, with_password("dref", password))};
  BOOST_TEST(must(c.call({"SET", "app:k", "before"})).text == "OK");
  kill_connections(secured_client(server, with_password("admin", password)));
  std::string last;
  bool answered = test::wait_until(
      [&] {
        auto got = c.call({"GET", "app:k"}, 1s);
        last = got ? got->text : got.error().to_string();
        return got && got->text == "before";
      },
      10s);
  BOOST_TEST(answered, "last answer: " << last);
}

// Both of the backend's connections (commands and events) authenticate
// again after the server restarts: writes and a watcher go on.
BOOST_AUTO_TEST_CASE(the_backend_goes_on_after_a_restart_of_a_password_server) {
  auto server = password_server();
  node_system_config cfg;
  caf::actor_system sys{cfg};
  context c{sys, redis_backend::start(sys, secured_node(server, with_password("", password)))};
  auto r = c.make<int>(1, manual_id("x"));
  server.restart();
  bool written = test::wait_until([&] { return r.try_set(2).has_value(); }, 20s);
  BOOST_TEST_REQUIRE(written);
  BOOST_TEST(r.get() == 2);
}

BOOST_AUTO_TEST_CASE(tls_verifies_the_server_against_the_ca_and_its_name) {
  tls_setup tls;
  auto server = tls.server(false);
  backend_works(secured_node(server, tls.trusting(tls.certs.ca())));
  auto localhost = tls.trusting(tls.certs.ca());
  localhost.tls_server_name = "localhost"; // also in the certificate
  backend_works(secured_node(server, localhost));
  auto other_ca = refusal(secured_node(server, tls.trusting(tls.certs.ca("other"))));
  BOOST_TEST(contains(other_ca, "certificate verify failed"), other_ca);
  auto other_name = tls.trusting(tls.certs.ca());
  other_name.tls_server_name = "redis.example";
  auto mismatch = refusal(secured_node(server, other_name));
  BOOST_TEST(contains(mismatch, "certificate verify failed: hostname mismatch"), mismatch);
  auto plain = refusal(secured_node(server, {}));
  BOOST_TEST(!plain.empty());
}

BOOST_AUTO_TEST_CASE(tls_with_client_certificates) {
  tls_setup tls;
  auto server = tls.server(true);
  auto ours = tls.trusting(tls.certs.ca());
  ours.tls_certificate = tls.certs.certificate("client");
  ours.tls_key = tls.certs.key("client");
  backend_works(secured_node(server, ours));
  // The server's alert ("certificate required") or a reset, depending on
  // whether the server read our PING before it closed: either way the
  // message names the cause.
  auto without = refusal(secured_node(server, tls.trusting(tls.certs.ca())));
  BOOST_TEST(contains(without, "tls-auth-clients"), without);
  auto stranger = tls.trusting(tls.certs.ca());
  stranger.tls_certificate = tls.certs.certificate("stranger", "other");
  stranger.tls_key = tls.certs.key("stranger", "other");
  auto refused = refusal(secured_node(server, stranger));
  BOOST_TEST(contains(refused, "tls-auth-clients"), refused);
}

// TLS and an ACL user together, through a kill of every connection.
BOOST_AUTO_TEST_CASE(tls_and_an_acl_user_survive_killed_connections) {
  tls_setup tls;
  auto server = tls.server(false, acl_users());
  auto security = tls.trusting(tls.certs.ca());
  security.username = "dref";
  security.password = password;
  node_system_config cfg;
  caf::actor_system sys{cfg};
  context c{sys, redis_backend::start(sys, secured_node(server, security))};
  auto r = c.make<int>(1, manual_id("x"));
  auto admin = security;
  admin.username = "admin";
  kill_connections(secured_client(server, admin));
  bool written = test::wait_until([&] { return r.try_set(2).has_value(); }, 20s);
  BOOST_TEST_REQUIRE(written);
  BOOST_TEST(r.get() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
