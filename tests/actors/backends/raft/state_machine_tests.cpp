// state_machine: committed entries applied once each, member-directory
// entries recognized, snapshots installed, and the leader's session-expiry
// checks proposed one at a time.
#include "dref/protocol/codec.hpp"
#include "state_machine.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

using dref::raft::node::member_address;
using dref::raft::node::state_machine;
using namespace std::chrono_literals;
namespace core = dref::raft::core;
namespace protocol = dref::protocol;

BOOST_TEST_DONT_PRINT_LOG_VALUE(member_address)

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

core::entry command(std::uint64_t index, protocol::store_command cmd, std::uint64_t sequence = 0) {
  core::entry e;
  e.index = index;
  e.term = 1;
  e.type = core::entry_type::normal;
  e.client_id = sequence == 0 ? 0 : 42;
  e.sequence = sequence;
  e.data =
      protocol::encode(protocol::store_proposal{e.client_id, sequence, 0, 1000, std::move(cmd)});
  return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(state_machine_suite)

BOOST_AUTO_TEST_CASE(each_entry_is_applied_once_in_log_order) {
  state_machine machine{{}, "a"};
  auto first = machine.apply(command(1, protocol::cmd_set{"x", "1"}));
  BOOST_TEST(first.fresh);
  BOOST_REQUIRE(first.reply.has_value());
  BOOST_TEST(!first.reply->error.has_value());
  BOOST_TEST(first.events.size() == 1u);
  BOOST_TEST(machine.applied() == 1u);
  auto again = machine.apply(command(1, protocol::cmd_set{"x", "2"}));
  BOOST_TEST(!again.fresh);
  BOOST_TEST(!again.reply.has_value());
  BOOST_TEST(machine.store().get("x")->value == "1");
  // A config entry holds no command: applied, no reply.
  core::entry config;
  config.index = 2;
  config.type = core::entry_type::config;
  auto conf = machine.apply(config);
  BOOST_TEST(conf.fresh);
  BOOST_TEST(!conf.reply.has_value());
  BOOST_TEST(machine.applied() == 2u);
}

BOOST_AUTO_TEST_CASE(an_entry_that_does_not_decode_is_answered_with_why) {
  state_machine machine{{}, "a"};
  core::entry garbage;
  garbage.index = 1;
  garbage.type = core::entry_type::normal;
  garbage.data = "not a proposal";
  auto out = machine.apply(garbage);
  BOOST_TEST(out.fresh);
  BOOST_REQUIRE(out.reply.has_value());
  BOOST_TEST(out.reply->error.has_value());
  BOOST_TEST(machine.applied() == 1u);
}

BOOST_AUTO_TEST_CASE(directory_entries_of_other_members_are_reported) {
  state_machine machine{{}, "a"};
  auto own = machine.apply(command(1, protocol::cmd_member_announce{"a", "127.0.0.1:7000"}));
  BOOST_TEST(own.members.empty());
  auto other = machine.apply(command(2, protocol::cmd_member_announce{"b", "127.0.0.1:7001"}));
  BOOST_TEST(other.members == (std::vector<member_address>{{"b", "127.0.0.1:7001"}}),
             boost::test_tools::per_element());
  auto plain = machine.apply(command(3, protocol::cmd_set{"other", "x"}));
  BOOST_TEST(plain.members.empty());
}

// A client's write into the directory (it used to end every member's raft
// actor on a bad address, and redirect a member's traffic on a good one) is
// refused by the store itself, so no member learns anything from it.
BOOST_AUTO_TEST_CASE(a_client_write_into_the_directory_is_refused_and_reports_nothing) {
  state_machine machine{{}, "a"};
  for (auto address : {"1.2.3.4:http", "127.0.0.1:7009"}) {
    auto out =
        machine.apply(command(1 + machine.applied(), protocol::cmd_set{"dref/members/b", address}));
    BOOST_TEST(out.members.empty());
    BOOST_REQUIRE(out.reply.has_value());
    BOOST_REQUIRE(out.reply->error.has_value());
    BOOST_TEST((out.reply->error->code == dref::errc::invalid_argument));
  }
  auto bad = machine.apply(
      command(1 + machine.applied(), protocol::cmd_member_announce{"b", "1.2.3.4:http"}));
  BOOST_TEST(bad.members.empty());
  BOOST_REQUIRE(bad.reply.has_value());
  BOOST_TEST(bad.reply->error.has_value());
}

BOOST_AUTO_TEST_CASE(a_snapshot_replaces_the_store_and_lists_the_directory) {
  state_machine leader{{}, "a"};
  (void)leader.apply(command(1, protocol::cmd_member_announce{"a", "127.0.0.1:7000"}));
  (void)leader.apply(command(2, protocol::cmd_member_announce{"b", "127.0.0.1:7001"}));
  core::snapshot snap;
  snap.metadata.index = 9;
  snap.data = leader.store().snapshot();
  state_machine follower{{}, "b"};
  auto members = follower.install(snap);
  BOOST_REQUIRE(members.has_value());
  BOOST_TEST(*members ==
                 (std::vector<member_address>{{"a", "127.0.0.1:7000"}, {"b", "127.0.0.1:7001"}}),
             boost::test_tools::per_element());
  BOOST_TEST(follower.applied() == 9u);
  BOOST_TEST(!follower.apply(command(9, protocol::cmd_set{"x", "1"})).fresh);
  snap.data = "damaged";
  BOOST_TEST(!follower.install(snap).has_value());
  BOOST_TEST(follower.applied() == 9u);
}

BOOST_AUTO_TEST_CASE(expiry_checks_go_one_at_a_time_while_sessions_exist) {
  state_machine machine{{}, "a"};
  BOOST_TEST(!machine.expiry_check(1, t0, 50ms, 1000).has_value()); // no sessions
  (void)machine.apply(command(1, protocol::cmd_session_open{"s", 3000}, 1));
  auto check = machine.expiry_check(1, t0, 50ms, 1000);
  BOOST_REQUIRE(check.has_value());
  auto decoded = protocol::decode<protocol::store_proposal>(*check);
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(std::holds_alternative<protocol::cmd_expire_due>(decoded->command));
  BOOST_TEST(decoded->leader_time_ms == 1000u);
  BOOST_TEST(!machine.expiry_check(1, t0 + 1h, 50ms, 2000).has_value()); // one in flight
  // Applied: the next may go once the interval passed.
  (void)machine.apply(command(2, protocol::cmd_expire_due{}));
  BOOST_TEST(!machine.expiry_check(1, t0 + 49ms, 50ms, 2000).has_value());
  BOOST_TEST(machine.expiry_check(1, t0 + 50ms, 50ms, 2000).has_value());
  // The core refused it (e.g. a transfer in progress): the next may go.
  machine.expiry_check_refused();
  BOOST_TEST(machine.expiry_check(1, t0 + 100ms, 50ms, 3000).has_value());
  // That one never commits (this member stopped leading, the entry was
  // overwritten): leading again in a later term, it checks again.
  BOOST_TEST(!machine.expiry_check(1, t0 + 1h, 50ms, 4000).has_value());
  auto next_term = machine.expiry_check(3, t0 + 1h, 50ms, 4000);
  BOOST_REQUIRE(next_term.has_value());
  BOOST_TEST(!machine.expiry_check(3, t0 + 2h, 50ms, 5000).has_value()); // in flight again
}

BOOST_AUTO_TEST_SUITE_END()
