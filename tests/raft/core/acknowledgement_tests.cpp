// Acknowledgements a follower sends after persisting: one per leader and
// term for all the appends one round made durable
// (drop_superseded_acknowledgements in raft/core's node.hpp).
#include "dref/raft/core/node.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <vector>

namespace core = dref::raft::core;
namespace protocol = dref::protocol;

namespace {

core::message acknowledgement(core::node_id to, std::uint64_t term, std::uint64_t match) {
  protocol::raft_append_response resp;
  resp.success = true;
  resp.match_index = match;
  return core::message{2, to, term, resp};
}

core::message rejection(core::node_id to, std::uint64_t term, std::uint64_t rejected) {
  protocol::raft_append_response resp;
  resp.rejected_index = rejected;
  return core::message{2, to, term, resp};
}

core::message vote(core::node_id to, std::uint64_t term) {
  return core::message{2, to, term, protocol::raft_vote_response{true, false}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(acknowledgements)

BOOST_AUTO_TEST_CASE(only_the_highest_per_peer_and_term_is_kept_in_place) {
  std::vector<core::message> messages{
      acknowledgement(1, 2, 5), rejection(1, 2, 9),       vote(3, 2),
      acknowledgement(1, 2, 7), acknowledgement(3, 2, 4), acknowledgement(1, 3, 2),
      acknowledgement(1, 2, 6), acknowledgement(1, 3, 3),
  };
  core::drop_superseded_acknowledgements(messages);
  std::vector<core::message> expected{
      rejection(1, 2, 9),       vote(3, 2), acknowledgement(1, 2, 7), acknowledgement(3, 2, 4),
      acknowledgement(1, 3, 3),
  };
  BOOST_TEST((messages == expected));
}

BOOST_AUTO_TEST_CASE(lone_acknowledgements_and_other_messages_are_untouched) {
  std::vector<core::message> messages{rejection(1, 2, 9), acknowledgement(1, 2, 5), vote(3, 2)};
  auto before = messages;
  core::drop_superseded_acknowledgements(messages);
  BOOST_TEST((messages == before));
}

// Three appends stepped before the follower's next ready(): the round makes
// all of them durable and promises so once, at the last index.
BOOST_AUTO_TEST_CASE(a_round_of_several_appends_is_acknowledged_once) {
  core::config cfg;
  cfg.id = 2;
  cfg.voters = {1, 2, 3};
  core::node follower{cfg};
  follower.advance(follower.ready()); // the bootstrap configuration
  const std::uint64_t term = 1;
  auto last = follower.log().last_index();
  for (int i = 0; i < 3; ++i) {
    protocol::raft_append_entries append;
    append.prev_index = last;
    append.prev_term = *follower.log().term(last);
    core::entry e;
    e.index = last + 1;
    e.term = term;
    e.data = "command " + std::to_string(i);
    append.entries.push_back(e);
    follower.step(core::message{1, 2, term, append});
    ++last;
  }
  auto round = follower.ready();
  BOOST_TEST(round.entries.size() == 3u);
  std::vector<std::uint64_t> acknowledged;
  for (const auto& m : round.messages_after_persist)
    if (const auto* resp = std::get_if<protocol::raft_append_response>(&m.payload))
      acknowledged.push_back(resp->success ? resp->match_index : 0);
  BOOST_TEST(acknowledged == std::vector<std::uint64_t>{last}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
