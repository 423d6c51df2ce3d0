// member_changes: admin requests checked against the membership before
// anything is proposed, with answers that name what was wrong.
#include "member_changes.hpp"
#include "member_directory.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using dref::errc;
using dref::raft::node::describe_members;
using dref::raft::node::member_id;
using dref::raft::node::plan_member_change;
using dref::raft::node::transfer_target;
namespace protocol = dref::protocol;

namespace {

// Voters a and b, learner c; d is known by id only.
protocol::raft_config_state members() {
  return protocol::raft_config_state{{member_id("a"), member_id("b")}, {member_id("c")}};
}

std::string name_of(std::uint64_t id) {
  for (auto name : {"a", "b", "c"})
    if (member_id(name) == id)
      return name;
  return std::to_string(id);
}

protocol::member_change change(protocol::member_change_kind kind, std::string name,
                               std::string address = {}) {
  return protocol::member_change{kind, std::move(name), std::move(address)};
}

using kind = protocol::member_change_kind;

} // namespace

BOOST_AUTO_TEST_SUITE(member_changes_suite)

BOOST_AUTO_TEST_CASE(members_are_listed_voters_first) {
  BOOST_TEST(describe_members(members(), name_of) == "a, b, c");
}

BOOST_AUTO_TEST_CASE(adding_a_learner_writes_its_address_to_the_directory_first) {
  auto plan =
      plan_member_change(change(kind::add_learner, "d", "127.0.0.1:7004"), members(), name_of);
  BOOST_REQUIRE(plan.has_value());
  BOOST_REQUIRE(plan->directory_entry.has_value());
  BOOST_TEST(plan->directory_entry->name == "d");
  BOOST_TEST(plan->directory_entry->address == "127.0.0.1:7004");
  BOOST_TEST(plan->conf.node == member_id("d"));
  BOOST_TEST((plan->conf.type == protocol::raft_conf_change_type::add_learner));
}

BOOST_AUTO_TEST_CASE(changes_that_do_not_fit_the_membership_are_refused) {
  auto refused = [](const protocol::member_change& c, errc code, std::string text) {
    auto plan = plan_member_change(c, members(), name_of);
    BOOST_REQUIRE(!plan.has_value());
    BOOST_TEST((plan.error().code == code));
    BOOST_TEST(plan.error().message.find(text) != std::string::npos, plan.error().message);
  };
  refused(change(kind::add_learner, "b", "127.0.0.1:7002"), errc::already_exists,
          "already a member (as voter)");
  refused(change(kind::add_learner, "c", "127.0.0.1:7003"), errc::already_exists, "as learner");
  refused(change(kind::add_learner, "d", "no-port"), errc::invalid_argument,
          "needs its address as host:port");
  refused(change(kind::promote, "a"), errc::invalid_argument, "already a voter");
  refused(change(kind::promote, "d"), errc::not_found, "no learner named 'd' (members: a, b, c)");
  refused(change(kind::remove, "d"), errc::not_found, "no member named 'd' (members: a, b, c)");
  refused(change(static_cast<kind>(77), "a"), errc::invalid_argument, "unknown kind");
}

BOOST_AUTO_TEST_CASE(promoting_and_removing_members_become_config_changes) {
  auto promote = plan_member_change(change(kind::promote, "c"), members(), name_of);
  BOOST_REQUIRE(promote.has_value());
  BOOST_TEST(!promote->directory_entry.has_value());
  BOOST_TEST((promote->conf.type == protocol::raft_conf_change_type::promote_learner));
  auto remove = plan_member_change(change(kind::remove, "b"), members(), name_of);
  BOOST_REQUIRE(remove.has_value());
  BOOST_TEST((remove->conf.type == protocol::raft_conf_change_type::remove));
  BOOST_TEST(remove->conf.node == member_id("b"));
}

BOOST_AUTO_TEST_CASE(leadership_goes_only_to_a_voter) {
  auto self = member_id("a");
  BOOST_TEST(*transfer_target("b", self, members(), name_of) == member_id("b"));
  BOOST_TEST(*transfer_target("a", self, members(), name_of) == self); // leads already
  // Even while it leads on after removing itself: nothing to hand over.
  protocol::raft_config_state without_self{{member_id("b")}, {}};
  auto stays = transfer_target("a", self, without_self, name_of);
  BOOST_REQUIRE(stays.has_value());
  BOOST_TEST(*stays == self);
  auto learner = transfer_target("c", self, members(), name_of);
  BOOST_REQUIRE(!learner.has_value());
  BOOST_TEST((learner.error().code == errc::invalid_argument));
  auto unknown = transfer_target("d", self, members(), name_of);
  BOOST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == errc::not_found));
  BOOST_TEST(unknown.error().message.find("(members: a, b, c)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
