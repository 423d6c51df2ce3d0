// The CAF bridge: dref wire types and errors cross a real io::middleman
// connection (two actor systems in one process, on loopback).

#include "dref/protocol/caf/type_ids.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <chrono>

using dref::errc;
using namespace dref::protocol;
using namespace std::chrono_literals;

namespace {

struct node_config : caf::actor_system_config {
  node_config() {
    register_with(*this);
    load<caf::io::middleman>();
    set("logger.verbosity", caf::atom("quiet"));
  }
};

caf::behavior hello_responder(caf::event_based_actor*, hello local) {
  return {
      [local](const hello& remote) { return answer_hello(local, remote); },
      [](const std::string& key) -> caf::result<std::string> {
        return dref::to_caf_error(dref::error{errc::not_found, "no value under '" + key + "'"});
      },
  };
}

hello make_hello(std::string id, std::uint8_t version = wire_format_version) {
  return hello{version, "test-cluster", std::move(id), "0.1.0"};
}

// Two nodes: `server` publishes a responder on an ephemeral loopback port,
// `client` holds a remote handle to it.
struct two_nodes {
  node_config server_cfg;
  node_config client_cfg;
  caf::actor_system server{server_cfg};
  caf::actor_system client{client_cfg};
  caf::actor responder;
  caf::actor remote;

  two_nodes() {
    responder = server.spawn(hello_responder, make_hello("server"));
    auto port = server.middleman().publish(responder, 0, "127.0.0.1");
    if (!port)
      BOOST_FAIL("publish failed: " << server.render(port.error()));
    auto handle = client.middleman().remote_actor("127.0.0.1", *port);
    if (!handle)
      BOOST_FAIL("remote_actor failed: " << client.render(handle.error()));
    remote = *handle;
  }

  ~two_nodes() {
    caf::anon_send_exit(responder, caf::exit_reason::user_shutdown);
    remote = nullptr;
    responder = nullptr;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(caf_bridge)

BOOST_FIXTURE_TEST_CASE(wire_types_cross_the_network, two_nodes) {
  caf::scoped_actor self{client};
  bool answered = false;
  self->request(remote, 5s, make_hello("client"))
      .receive(
          [&](const hello_reply& reply) {
            answered = true;
            BOOST_TEST(reply.node_id == "server");
            BOOST_TEST(!reply.refusal.has_value());
          },
          [&](const caf::error& err) { BOOST_FAIL("request failed: " << client.render(err)); });
  BOOST_TEST(answered);
}

BOOST_FIXTURE_TEST_CASE(refusal_crosses_the_network, two_nodes) {
  caf::scoped_actor self{client};
  bool answered = false;
  self->request(remote, 5s, make_hello("client", wire_format_version + 1))
      .receive(
          [&](const hello_reply& reply) {
            answered = true;
            BOOST_TEST_REQUIRE(reply.refusal.has_value());
            BOOST_TEST((reply.refusal->code == errc::wire_version_mismatch));
          },
          [&](const caf::error& err) { BOOST_FAIL("request failed: " << client.render(err)); });
  BOOST_TEST(answered);
}

BOOST_FIXTURE_TEST_CASE(dref_errors_keep_code_and_message_across_nodes, two_nodes) {
  caf::scoped_actor self{client};
  bool failed = false;
  self->request(remote, 5s, std::string{"missing"})
      .receive([&](const std::string&) { BOOST_FAIL("expected an error"); },
               [&](const caf::error& err) {
                 failed = true;
                 BOOST_TEST((err.category() == dref::caf_error_category));
                 auto back = dref::from_caf_error(err);
                 BOOST_TEST((back.code == errc::not_found));
                 BOOST_TEST(back.message == "no value under 'missing'");
                 BOOST_TEST(client.render(err).find("not_found") != std::string::npos);
               });
  BOOST_TEST(failed);
}

BOOST_AUTO_TEST_CASE(caf_timeout_maps_to_dref_timeout) {
  auto err = dref::from_caf_error(caf::make_error(caf::sec::request_timeout));
  BOOST_TEST((err.code == errc::timeout));
  auto broken = dref::from_caf_error(caf::make_error(caf::sec::remote_linking_failed));
  BOOST_TEST((broken.code == errc::unavailable));
  caf::error from_code = errc::shutting_down;
  BOOST_TEST((dref::from_caf_error(from_code).code == errc::shutting_down));
}

BOOST_AUTO_TEST_CASE(caf_deserializer_refuses_another_wire_version) {
  node_config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto original = make_hello("n1");
  BOOST_TEST_REQUIRE(!sink(original));
  // CAF writes the byte string's length first (varint, one byte here), then
  // our frame: magic (3 bytes), then the version byte.
  buf[1 + 3] = static_cast<char>(wire_format_version + 1);
  caf::binary_deserializer source{sys, buf};
  hello decoded;
  auto err = source(decoded);
  BOOST_TEST_REQUIRE(static_cast<bool>(err));
  BOOST_TEST((dref::from_caf_error(err).code == errc::wire_version_mismatch));
}

BOOST_AUTO_TEST_SUITE_END()
