// Round trips of the operators' wire types (drefctl <-> members).
#include "dref/protocol/admin.hpp"
#include "wire_check.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref::protocol;

BOOST_AUTO_TEST_SUITE(admin_wire)

BOOST_AUTO_TEST_CASE(status_and_admin_requests_round_trip) {
  node_status st{"node-1",
                 "127.0.0.1:8082",
                 "leader",
                 "node-1",
                 3,
                 40,
                 39,
                 20,
                 {member_info{"node-1", "127.0.0.1:8082", true, true},
                  member_info{"node-4", "", false, false}}};
  dref::test::check_wire_roundtrip(st);
  dref::test::check_wire_roundtrip(
      member_change{member_change_kind::add_learner, "node-4", "127.0.0.1:9000"});
  dref::test::check_wire_roundtrip(member_change{member_change_kind::remove, "node-2", ""});
  dref::test::check_wire_roundtrip(leader_transfer{"node-3"});
  dref::test::check_wire_roundtrip(admin_reply{});
  dref::test::check_wire_roundtrip(
      admin_reply{dref::error{dref::errc::not_found, "no member named 'x'"}});
}

BOOST_AUTO_TEST_SUITE_END()
