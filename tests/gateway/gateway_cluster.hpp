#pragma once
// Three dref-node processes (tests/cluster/process_cluster.hpp), each with
// its HTTP gateway on a free loopback port of its own, and the test's HTTP
// client pointed at them. Stopped with the fixture, also on failure.

#include "http_client.hpp"
#include "process_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <thread>

namespace dref::test {

inline nlohmann::json json_of(const http_reply& reply) {
  auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
  BOOST_TEST_INFO("body: " << reply.body);
  BOOST_CHECK(!parsed.is_discarded());
  return parsed;
}

// The error code of a {"error": {"code", "message"}} body ("" if none).
inline std::string error_code(const http_reply& reply) {
  auto body = json_of(reply);
  if (!body.is_object() || !body.contains("error") || !body["error"].contains("code"))
    return {};
  return body["error"]["code"].get<std::string>();
}

struct gateway_cluster {
  // ca_file: the gateways talk TLS, checked against it (give the members
  // the tls flags in node_flags and the fixture's client TLS in client_tls).
  explicit gateway_cluster(std::vector<std::string> node_flags = {}, config::tls client_tls = {},
                           std::string ca_file = {})
      : ca(std::move(ca_file))
      , http_ports{free_loopback_port(), free_loopback_port(), free_loopback_port()}
      , cluster(3, std::move(node_flags), std::move(client_tls), [this](std::size_t i) {
        return std::vector<std::string>{"--http-port", std::to_string(http_ports.at(i))};
      }) {
    for (auto port : http_ports)
      BOOST_REQUIRE_MESSAGE(wait_until_listening(port, std::chrono::seconds{10}),
                            "gateway on " << port << " up");
  }

  http_reply call(std::size_t member, http_call request) {
    return http_once(http_ports.at(member), request, ca);
  }

  // Until every member's /readyz says 200: a leader, and applied up to it.
  void wait_ready(std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    for (std::size_t i = 0; i < http_ports.size(); ++i) {
      for (;;) {
        auto ready = call(i, {"GET", "/readyz", "", headers});
        if (ready.status == 200)
          break;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                              "member " << i << " ready: " << ready.body);
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
      }
    }
  }

  std::string ca;
  std::vector<std::uint16_t> http_ports;
  process_cluster cluster;
};

} // namespace dref::test
