// When the leader hooks run (leader_hook_calls.hpp; the contract is in
// dref/leader_hooks.hpp), driven step by step as the node actor drives it.

#include "dref/protocol/codec.hpp"
#include "dref/protocol/raft_log_entry.hpp"
#include "leader_hook_calls.hpp"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dref;
using namespace dref::raft::node;
namespace core = dref::raft::core;

namespace {

struct recorded {
  std::vector<std::string> events;
  std::vector<std::string> failures;
};

// Hooks that note what they are told; the first elected hook throws when
// told to, and the second must still run.
std::shared_ptr<const leader_hook_set> noting(recorded& r, bool first_throws = false) {
  auto hooks = std::make_shared<leader_hook_set>();
  hooks->elected.push_back([&r, first_throws](const std::string& member, std::uint64_t term) {
    if (first_throws)
      throw std::runtime_error("no");
    r.events.push_back("elected " + member + " " + std::to_string(term));
  });
  hooks->elected.push_back([&r](const std::string&, std::uint64_t) { r.events.push_back("2nd"); });
  hooks->command_committed.push_back([&r](const committed_command& c) {
    r.events.push_back("committed " + c.leader + " " + c.id + " " + c.name + " " + c.args + " " +
                       c.answer + " " + std::to_string(c.version));
  });
  hooks->follower_added.push_back([&r](const std::string& m) { r.events.push_back("added " + m); });
  hooks->follower_removed.push_back(
      [&r](const std::string& m) { r.events.push_back("removed " + m); });
  hooks->restored.push_back(
      [&r](std::uint64_t applied) { r.events.push_back("restored " + std::to_string(applied)); });
  return hooks;
}

leader_hook_calls calls_for(recorded& r, bool restarted, bool first_throws = false) {
  return leader_hook_calls{noting(r, first_throws), "node-1", restarted,
                           [&r](const std::string& what) { r.failures.push_back(what); }};
}

std::string name_of(core::node_id id) {
  return "m" + std::to_string(id);
}

core::entry command_entry(std::uint64_t index) {
  return core::entry{1, index, core::entry_type::normal, 7, index, "bytes"};
}

state_machine::applied_entry ran(std::string answer, std::uint64_t version) {
  state_machine::applied_entry what;
  what.fresh = true;
  what.command = protocol::cmd_run{"q", "enqueue", "arg"};
  what.reply.emplace();
  what.reply->value = protocol::res_ran{version, std::move(answer)};
  return what;
}

core::entry config_entry(std::uint64_t index, protocol::raft_conf_change_type type,
                         core::node_id node) {
  return core::entry{1, index, core::entry_type::config,
                     0, 0,     protocol::encode(protocol::raft_conf_change{type, node})};
}

state_machine::applied_entry fresh() {
  state_machine::applied_entry what;
  what.fresh = true;
  return what;
}

} // namespace

BOOST_AUTO_TEST_SUITE(leader_hook_calls_suite)

BOOST_AUTO_TEST_CASE(elected_runs_when_the_member_starts_leading_and_per_new_term) {
  recorded r;
  auto calls = calls_for(r, false);
  calls.leading(false, 1, 0);
  calls.leading(true, 2, 3);
  calls.leading(true, 2, 4); // still leading: nothing
  calls.leading(false, 3, 5);
  calls.leading(true, 4, 6);
  calls.leading(true, 5, 7); // a new term without a round in between
  BOOST_TEST((r.events == std::vector<std::string>{"elected node-1 2", "2nd", "elected node-1 4",
                                                   "2nd", "elected node-1 5", "2nd"}));
  BOOST_TEST(r.failures.empty());
}

BOOST_AUTO_TEST_CASE(restored_runs_once_at_the_first_election_after_a_restart) {
  recorded r;
  auto calls = calls_for(r, true);
  calls.leading(false, 1, 10);
  calls.leading(true, 2, 12);
  calls.leading(false, 3, 13);
  calls.leading(true, 4, 14);
  BOOST_TEST((r.events == std::vector<std::string>{"elected node-1 2", "2nd", "restored 12",
                                                   "elected node-1 4", "2nd"}));
  recorded fresh_start;
  auto never = calls_for(fresh_start, false);
  never.leading(true, 1, 1);
  BOOST_TEST((fresh_start.events == std::vector<std::string>{"elected node-1 1", "2nd"}));
}

BOOST_AUTO_TEST_CASE(commits_and_membership_are_told_while_leading_only) {
  recorded r;
  auto calls = calls_for(r, false);
  calls.applied(false, command_entry(1), ran("0", 1), name_of); // a follower: nothing
  calls.applied(true, command_entry(2), ran("1", 2), name_of);
  auto refused = ran("", 0);
  refused.reply->error = error{errc::command_failed, "it threw"};
  calls.applied(true, command_entry(3), refused, name_of);
  auto replayed = ran("2", 4);
  replayed.fresh = false; // applied before: not again
  calls.applied(true, command_entry(4), replayed, name_of);
  using type = protocol::raft_conf_change_type;
  calls.applied(true, config_entry(5, type::add_learner, 4), fresh(), name_of);
  calls.applied(true, config_entry(6, type::promote_learner, 4), fresh(), name_of);
  calls.applied(true, config_entry(7, type::remove, 3), fresh(), name_of);
  calls.applied(false, config_entry(8, type::remove, 4), fresh(), name_of);
  BOOST_TEST((r.events == std::vector<std::string>{"committed node-1 q enqueue arg 1 2", "added m4",
                                                   "removed m3"}));
}

BOOST_AUTO_TEST_CASE(a_hook_that_throws_is_reported_and_the_others_run) {
  recorded r;
  auto calls = calls_for(r, false, true);
  calls.leading(true, 1, 0);
  BOOST_TEST((r.events == std::vector<std::string>{"2nd"}));
  BOOST_TEST_REQUIRE(r.failures.size() == 1u);
  BOOST_TEST(r.failures[0] == "leader hook on_elected threw: no");
}

BOOST_AUTO_TEST_CASE(no_hooks_no_calls) {
  leader_hook_calls none{nullptr, "node-1", true, {}};
  none.leading(true, 1, 0);
  none.applied(true, command_entry(1), ran("0", 1), name_of);
}

BOOST_AUTO_TEST_SUITE_END()
