// member_directory: addresses learned and linked, bad addresses refused
// without an exception, name clashes between configured peers, the initial
// voters, and cutting members off.
#include "member_directory.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

using dref::errc;
using dref::raft::node::member_directory;
using dref::raft::node::member_id;
using dref::raft::node::parse_member_address;

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::vector<std::uint64_t>>)

namespace {

using directory = member_directory<std::string>; // a link is its label here
const std::string own = "127.0.0.1:7000";

} // namespace

BOOST_AUTO_TEST_SUITE(member_directory_suite)

BOOST_AUTO_TEST_CASE(a_learned_address_is_linked_once_and_carries_raft_messages) {
  directory members{own};
  auto plan = members.learn("b", "127.0.0.1:7001");
  BOOST_REQUIRE(plan.has_value());
  BOOST_REQUIRE(plan->has_value());
  BOOST_TEST((*plan)->host == "127.0.0.1");
  BOOST_TEST((*plan)->port == 7001);
  BOOST_TEST(!members.link_for(member_id("b")).has_value()); // no link made yet
  members.linked("127.0.0.1:7001", "link-b");
  BOOST_TEST(members.link_for(member_id("b")) == std::optional<std::string>{"link-b"});
  BOOST_TEST(*members.name_of(member_id("b")) == "b");
  BOOST_TEST(*members.address_of("b") == "127.0.0.1:7001");
  // Learned again (the directory entry rewritten): nothing more to dial.
  plan = members.learn("b", "127.0.0.1:7001");
  BOOST_REQUIRE(plan.has_value());
  BOOST_TEST(!plan->has_value());
  // Its own address and an empty one need no link either.
  BOOST_TEST(!members.link_needed(own)->has_value());
  BOOST_TEST(!members.learn("c", "")->has_value());
  BOOST_TEST(*members.name_of(member_id("c")) == "c");
  BOOST_TEST(members.address_of("c") == nullptr);
  // IPv6 in brackets.
  auto v6 = members.link_needed("[::1]:7002");
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST((*v6)->host == "::1");
  BOOST_TEST((*v6)->port == 7002);
}

BOOST_AUTO_TEST_CASE(bad_addresses_are_refused_without_throwing_and_not_recorded) {
  directory members{own};
  BOOST_REQUIRE(members.learn("b", "127.0.0.1:7001").has_value());
  members.linked("127.0.0.1:7001", "link-b");
  for (std::string bad :
       {"nonsense", "host:", "host:port", "host:7001x", "host: 7001", "host:0", "host:65536",
        "host:70000", "host:-1", ":7001", "host:99999999999999999999999"}) {
    BOOST_TEST_CONTEXT("address '" << bad << "'") {
      std::optional<dref::result<dref::config::endpoint>> parsed;
      BOOST_CHECK_NO_THROW(parsed.emplace(parse_member_address(bad)));
      BOOST_REQUIRE(parsed.has_value());
      BOOST_TEST(!parsed->has_value());
      if (!parsed->has_value()) {
        BOOST_TEST((parsed->error().code == errc::invalid_argument));
        BOOST_TEST(parsed->error().message.find(bad) != std::string::npos);
      }
      std::optional<directory::link_plan> plan;
      BOOST_CHECK_NO_THROW(plan.emplace(members.learn("b", bad))); // a client wrote it
      BOOST_REQUIRE(plan.has_value());
      BOOST_TEST(!plan->has_value());
      // The good address stays, and so does the link.
      BOOST_TEST(*members.address_of("b") == "127.0.0.1:7001");
      BOOST_TEST(members.link_for(member_id("b")) == std::optional<std::string>{"link-b"});
    }
  }
  BOOST_TEST(members.links().size() == 1u);
  BOOST_TEST(parse_member_address("host:65535").has_value());
  BOOST_TEST(parse_member_address("host:1").has_value());
}

BOOST_AUTO_TEST_CASE(a_name_two_configured_addresses_claim_is_kept_away_and_reported_once) {
  directory members{own};
  members.expect("127.0.0.1:7001");
  members.expect("127.0.0.1:7002");
  BOOST_TEST(!members.initial_voters(member_id("a")).has_value());
  BOOST_TEST(!members.clash_with("127.0.0.1:7001", "x").has_value());
  members.connected("127.0.0.1:7001", "x", "node-x");
  auto clash = members.clash_with("127.0.0.1:7002", "x");
  BOOST_REQUIRE(clash.has_value());
  BOOST_TEST(clash->other_address == "127.0.0.1:7001");
  BOOST_TEST(clash->first_report);
  clash = members.clash_with("127.0.0.1:7002", "x"); // it redials and greets again
  BOOST_REQUIRE(clash.has_value());
  BOOST_TEST(!clash->first_report);
  // The clashing address stays unresolved: no cluster forms around it.
  BOOST_TEST(!members.initial_voters(member_id("a")).has_value());
  // The same address greeting again is no clash.
  BOOST_TEST(!members.clash_with("127.0.0.1:7001", "x").has_value());
}

BOOST_AUTO_TEST_CASE(the_initial_voters_are_every_configured_peer_and_this_member) {
  directory members{own};
  members.expect("127.0.0.1:7001");
  members.expect("127.0.0.1:7002");
  members.expect("127.0.0.1:7003");
  members.connected("127.0.0.1:7001", "b", "node-b");
  members.connected("127.0.0.1:7002", "c", "node-c");
  BOOST_TEST(!members.initial_voters(member_id("a")).has_value());
  members.is_self("127.0.0.1:7003"); // another name for this member
  auto voters = members.initial_voters(member_id("a"));
  BOOST_REQUIRE(voters.has_value());
  std::vector<std::uint64_t> expected{member_id("a"), member_id("b"), member_id("c")};
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(*voters == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_member_is_reachable_while_connected_and_not_cut) {
  directory members{own};
  BOOST_REQUIRE(members.learn("b", "127.0.0.1:7001").has_value());
  members.linked("127.0.0.1:7001", "link-b");
  auto b = member_id("b");
  BOOST_TEST(!members.reachable(b).has_value()); // linked, not greeted yet
  members.connected("127.0.0.1:7001", "b", "node-b");
  BOOST_TEST(members.reachable(b) == std::optional<std::string>{"node-b"});
  // A drill cuts it off: no messages either way; its link is told.
  BOOST_TEST(members.cut("b", true, true) == std::optional<std::string>{"link-b"});
  BOOST_TEST(members.drops_outgoing(b));
  BOOST_TEST(members.drops_incoming(b));
  BOOST_TEST(!members.reachable(b).has_value());
  BOOST_TEST(!members.link_for(b).has_value());
  // One way: what goes to b is dropped, what comes from b is not; b is
  // not reachable for requests (their answers come back the other way).
  members.cut("b", true, false);
  BOOST_TEST(members.drops_outgoing(b));
  BOOST_TEST(!members.drops_incoming(b));
  BOOST_TEST(!members.link_for(b).has_value());
  BOOST_TEST(!members.reachable(b).has_value());
  // The other way: b's messages are dropped, ours reach it.
  members.cut("b", false, true);
  BOOST_TEST(!members.drops_outgoing(b));
  BOOST_TEST(members.drops_incoming(b));
  BOOST_TEST(members.link_for(b) == std::optional<std::string>{"link-b"});
  BOOST_TEST(!members.reachable(b).has_value());
  BOOST_TEST(members.cut("b", false, false) == std::optional<std::string>{"link-b"});
  BOOST_TEST(!members.drops_incoming(b));
  BOOST_TEST(members.reachable(b) == std::optional<std::string>{"node-b"});
  BOOST_TEST(!members.cut("unknown", true, true).has_value()); // no link to tell
  BOOST_TEST(members.disconnected("b") == b);
  BOOST_TEST(!members.reachable(b).has_value());
  BOOST_TEST(members.link_for(b) == std::optional<std::string>{"link-b"}); // it redials
}

BOOST_AUTO_TEST_SUITE_END()
