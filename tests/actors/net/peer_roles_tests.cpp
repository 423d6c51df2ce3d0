// peer_roles: what each TLS connection may carry, and which role a node
// has among this process's connections.

#include "peer_roles.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <string>
#include <vector>

using namespace dref::net;

namespace {

// CAF gives an actor system a node id when its middleman is loaded.
caf::actor_system_config& with_middleman(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  return cfg;
}

// Two real node ids, as CAF 0.17.6 puts them on the wire.
struct two_nodes {
  caf::actor_system_config cfg_a;
  caf::actor_system a{with_middleman(cfg_a)};
  caf::actor_system_config cfg_b;
  caf::actor_system b{with_middleman(cfg_b)};
  std::vector<unsigned char> first = node_id_bytes(a.node());
  std::vector<unsigned char> second = node_id_bytes(b.node());
};

frame_start frame(std::uint8_t operation, const std::vector<unsigned char>& payload) {
  return {operation, static_cast<std::uint32_t>(payload.size()),
          std::span{payload.data(), payload.size()}};
}

std::vector<unsigned char> operator+(std::vector<unsigned char> head, const std::string& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

} // namespace

BOOST_AUTO_TEST_SUITE(peer_roles)

BOOST_AUTO_TEST_CASE(the_node_id_is_read_from_the_start_of_a_payload) {
  two_nodes n;
  BOOST_TEST(n.first.size() == 32u);
  BOOST_TEST(n.first != n.second);
  BOOST_TEST((node_id_prefix(n.first + "app ids follow") == n.first));
  std::vector<unsigned char> cut{n.first.begin(), n.first.begin() + 20};
  BOOST_TEST(!node_id_prefix(cut));
  BOOST_TEST(!node_id_prefix(std::vector<unsigned char>(40, 0x41)));
  auto nobody = node_id_bytes(caf::node_id{}); // no node: nobody to name
  BOOST_TEST(nobody.size() == 8u);
  BOOST_TEST(!node_id_prefix(nobody + std::string(40, 'x')));
}

BOOST_AUTO_TEST_CASE(each_side_sends_its_own_handshake_naming_one_node) {
  two_nodes n;
  connection_rules accepted{true, peer_role::client};
  BOOST_TEST(!accepted.admit(frame(server_handshake, n.first + "x")));
  connection_rules dialed{false, peer_role::member};
  BOOST_TEST(!dialed.admit(frame(client_handshake, n.first)));
  connection_rules anonymous{true, peer_role::client};
  BOOST_TEST(!anonymous.admit(frame(client_handshake, node_id_bytes(caf::node_id{}))));

  connection_rules rules{true, peer_role::client};
  BOOST_TEST(rules.admit(frame(client_handshake, n.first)));
  BOOST_TEST((rules.node() == n.first));
  BOOST_TEST(rules.admit(frame(client_handshake, n.first))); // CAF repeats it
  BOOST_TEST(!rules.admit(frame(client_handshake, n.second)));
  BOOST_TEST((rules.node() == n.first));
}

BOOST_AUTO_TEST_CASE(only_members_route_and_others_speak_for_themselves) {
  two_nodes n;
  for (auto role : {peer_role::client, peer_role::operator_}) {
    connection_rules rules{true, role};
    BOOST_TEST_REQUIRE(rules.admit(frame(client_handshake, n.first)));
    BOOST_TEST(rules.admit(frame(direct_message, {})));
    BOOST_TEST(!rules.admit(frame(routed_message, n.first + "to another node")));
    for (auto operation : {monitor_message, down_message}) {
      BOOST_TEST(rules.admit(frame(operation, n.first + "dest")));
      BOOST_TEST(!rules.admit(frame(operation, n.second + "dest")));
    }
  }
  connection_rules member{false, peer_role::member};
  BOOST_TEST_REQUIRE(member.admit(frame(server_handshake, n.first + "app ids")));
  BOOST_TEST(member.admit(frame(routed_message, n.second + "relayed")));
  BOOST_TEST(member.admit(frame(down_message, n.second + "relayed")));
}

BOOST_AUTO_TEST_CASE(a_node_has_the_least_role_of_its_connections) {
  two_nodes n;
  connection_registry registry;
  int member_link = 0, operator_link = 0, client_link = 0;
  BOOST_TEST((registry.role_of(n.first) == peer_role::none));
  registry.open(&member_link, connection_rules{false, peer_role::member});
  BOOST_TEST((registry.role_of(n.first) == peer_role::none)); // no handshake yet
  BOOST_TEST(registry.admit(&member_link, frame(server_handshake, n.first + "app")));
  BOOST_TEST((registry.role_of(n.first) == peer_role::member));
  // Another connection naming the same node (an operator claiming to be
  // the member) lowers it.
  registry.open(&operator_link, connection_rules{true, peer_role::operator_});
  BOOST_TEST(registry.admit(&operator_link, frame(client_handshake, n.first)));
  BOOST_TEST((registry.role_of(n.first) == peer_role::operator_));
  registry.close(&operator_link);
  BOOST_TEST((registry.role_of(n.first) == peer_role::member));
  // A clients' port belongs to another actor system: its connections do
  // not count, and a program may reach both ports of a member.
  registry.open(&client_link, connection_rules{true, peer_role::client});
  BOOST_TEST(registry.admit(&client_link, frame(client_handshake, n.first)));
  BOOST_TEST((registry.role_of(n.first) == peer_role::member));
  BOOST_TEST(!registry.admit(&client_link, frame(routed_message, n.second)));
  registry.close(&client_link);
  registry.close(&member_link);
  BOOST_TEST((registry.role_of(n.first) == peer_role::none));
  BOOST_TEST(registry.admit(&member_link, frame(routed_message, {}))); // unknown: CAF decides
}

BOOST_AUTO_TEST_SUITE_END()
