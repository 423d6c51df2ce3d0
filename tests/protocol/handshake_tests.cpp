#include "dref/protocol/handshake.hpp"
#include "wire_check.hpp"

#include <boost/test/unit_test.hpp>

using dref::errc;
using namespace dref::protocol;

namespace {

hello node(std::string id, std::string cluster = "c1") {
  return hello{wire_format_version, std::move(cluster), std::move(id), "0.1.0"};
}

} // namespace

BOOST_AUTO_TEST_SUITE(handshake)

BOOST_AUTO_TEST_CASE(round_trips) {
  dref::test::check_wire_roundtrip(node("n1"));
  dref::test::check_wire_roundtrip(hello_reply{"n2", std::nullopt});
  dref::test::check_wire_roundtrip(
      hello_reply{"n2", dref::error{errc::invalid_config, "other cluster"}});
}

BOOST_AUTO_TEST_CASE(accepts_a_peer_of_the_same_cluster_and_version) {
  auto reply = answer_hello(node("n1"), node("n2"));
  BOOST_TEST(reply.node_id == "n1");
  BOOST_TEST(!reply.refusal.has_value());
}

BOOST_AUTO_TEST_CASE(refuses_another_wire_version_naming_both) {
  auto remote = node("n2");
  remote.format_version = wire_format_version + 1;
  auto reply = answer_hello(node("n1"), remote);
  BOOST_TEST_REQUIRE(reply.refusal.has_value());
  BOOST_TEST((reply.refusal->code == errc::wire_version_mismatch));
  BOOST_TEST(reply.refusal->message.find("'n2'") != std::string::npos);
  BOOST_TEST(reply.refusal->message.find("'n1'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_another_cluster) {
  auto reply = answer_hello(node("n1", "prod"), node("n2", "staging"));
  BOOST_TEST_REQUIRE(reply.refusal.has_value());
  BOOST_TEST((reply.refusal->code == errc::invalid_config));
  BOOST_TEST(reply.refusal->message.find("staging") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_a_duplicate_node_id) {
  auto reply = answer_hello(node("n1"), node("n1"));
  BOOST_TEST_REQUIRE(reply.refusal.has_value());
  BOOST_TEST((reply.refusal->code == errc::already_exists));
}

BOOST_AUTO_TEST_CASE(limits_round_trip_and_must_agree_naming_both_values) {
  limits_offer ours{"n1", {{"limits.max_id_length", 256}, {"limits.max_value_bytes", 1000}}};
  dref::test::check_wire_roundtrip(ours);
  BOOST_TEST(!answer_limits(ours, limits_offer{"n2", ours.limits}).refusal.has_value());
  auto theirs =
      limits_offer{"n2", {{"limits.max_id_length", 256}, {"limits.max_value_bytes", 2000}}};
  auto reply = answer_limits(ours, theirs);
  BOOST_TEST_REQUIRE(reply.refusal.has_value());
  BOOST_TEST((reply.refusal->code == errc::invalid_config));
  BOOST_TEST(reply.refusal->message.find("node 'n2' applies limits.max_value_bytes = 2000, node "
                                         "'n1' applies limits.max_value_bytes = 1000") !=
                 std::string::npos,
             reply.refusal->message);
  // A limit only one side names is a difference too.
  auto fewer = limits_offer{"n2", {{"limits.max_id_length", 256}}};
  BOOST_TEST(answer_limits(ours, fewer).refusal.has_value());
}

BOOST_AUTO_TEST_CASE(named_commands_must_agree_naming_the_difference) {
  limits_offer ours{"n1", {}, {"command add_i64@1", "command enqueue@1", "query length@1"}};
  dref::test::check_wire_roundtrip(ours);
  BOOST_TEST(!answer_limits(ours, limits_offer{"n2", {}, ours.commands}).refusal.has_value());
  limits_offer theirs{"n2", {}, {"command add_i64@1", "command enqueue@2", "query length@1"}};
  auto reply = answer_limits(ours, theirs);
  BOOST_TEST_REQUIRE(reply.refusal.has_value());
  BOOST_TEST((reply.refusal->code == errc::invalid_config));
  BOOST_TEST(reply.refusal->message.find("node 'n2' lacks command enqueue@1 that node 'n1' runs, "
                                         "and runs command enqueue@2 that it lacks") !=
                 std::string::npos,
             reply.refusal->message);
  limits_offer fewer{"n2", {}, {"command add_i64@1"}};
  auto missing = answer_limits(ours, fewer);
  BOOST_TEST_REQUIRE(missing.refusal.has_value());
  BOOST_TEST(missing.refusal->message.find("lacks command enqueue@1, query length@1") !=
                 std::string::npos,
             missing.refusal->message);
}

BOOST_AUTO_TEST_SUITE_END()
