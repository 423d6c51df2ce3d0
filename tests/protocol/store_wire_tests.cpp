// Round trips of the store's wire types: every command and result
// alternative, events, replies with errors, batches.
#include "dref/protocol/store_batches.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "wire_check.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref::protocol;

namespace {

std::vector<store_command> every_command() {
  return {cmd_create_if_absent{"a", "v", {{"k", "m"}}},
          cmd_set{"a", std::string("\0\xff", 2)},
          cmd_cas{"a", 7, "w"},
          cmd_patch{"a", 9, "delta"},
          cmd_remove{"a"},
          cmd_set_metadata{"a", {{"x", "y"}, {"z", ""}}},
          cmd_run{"n", "add_i64", "12345678"},
          cmd_session_open{"s", 3000},
          cmd_session_keepalive{"s"},
          cmd_session_close{"s"},
          cmd_expire_due{},
          cmd_lock_acquire{"L", "s", "o", false},
          cmd_lock_release{"L", "s", "o", 42},
          cmd_lock_cancel_wait{"L", "s", "o"},
          cmd_publish{"t", "hello"},
          cmd_topic_configure{"t", 10, 1000},
          cmd_promise_deliver{"p", "v"},
          cmd_delay_claim{"d", "s"},
          cmd_delay_complete{"d", "s", "r"},
          cmd_member_announce{"node-2", "127.0.0.1:8082"},
          cmd_fenced{write_fence{"L", 42}, cmd_cas{"a", 7, "w"}},
          cmd_txn{{{"a", 7}, {"b", 0}}, {{"a", false, "v", "s"}, {"c", true, "", ""}}},
          cmd_delay_request{"d"},
          cmd_delay_fail{"d", "s", "boom"},
          cmd_set_owned{"a", "v", "s", true},
          cmd_lock_hand_over{"L", "s", "o", 42, "o2"}};
}

std::vector<store_result> every_result() {
  return {res_created{true, 3, "v"},
          res_written{4},
          res_ran{5, "12345678"},
          res_removed{true, 6},
          res_session{7000},
          res_lock{false, 0, 0, 2},
          res_released{1, true},
          res_published{9},
          res_delivered{false, 2, "x"},
          res_delay{delay_claim_state::completed, "s", "r"},
          res_done{},
          res_txn{false, 0, 1, 12}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_wire)

BOOST_AUTO_TEST_CASE(every_command_round_trips) {
  auto commands = every_command();
  BOOST_TEST(commands.size() == std::variant_size_v<store_command>);
  for (std::size_t i = 0; i < commands.size(); ++i) {
    BOOST_TEST(commands[i].index() == i); // one sample of each, in wire order
    dref::test::check_wire_roundtrip(store_proposal{3, 17, 16, 123456, commands[i]});
  }
}

// The fence may guard each of its writes; their index is on the wire too.
BOOST_AUTO_TEST_CASE(every_fenced_write_round_trips) {
  std::vector<fenced_write> writes{cmd_set{"a", "v"}, cmd_cas{"a", 7, "w"},
                                   cmd_patch{"a", 9, "delta"}, cmd_remove{"a"}};
  BOOST_TEST(writes.size() == std::variant_size_v<fenced_write>);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    BOOST_TEST(writes[i].index() == i);
    dref::test::check_wire_roundtrip(
        store_proposal{3, 17, 16, 123456, cmd_fenced{write_fence{"L", 42}, writes[i]}});
  }
}

BOOST_AUTO_TEST_CASE(every_result_round_trips) {
  auto results = every_result();
  BOOST_TEST(results.size() == std::variant_size_v<store_result>);
  for (const auto& r : results)
    dref::test::check_wire_roundtrip(store_reply{std::nullopt, r});
  dref::test::check_wire_roundtrip(
      store_reply{dref::error{dref::errc::version_conflict, "ref 'a' is at 7"}, res_done{}});
}

BOOST_AUTO_TEST_CASE(list_reads_and_pages_round_trip) {
  dref::test::check_wire_roundtrip(store_read{read_kind::list, "app/", 0, 100, "app/k"});
  dref::test::check_wire_roundtrip(
      store_read_reply{std::nullopt, list_page{42, {{"app/a", 7}, {"app/b", 42}}, true}, 50});
  dref::test::check_wire_roundtrip(store_read_reply{std::nullopt, list_page{}, 0});
}

BOOST_AUTO_TEST_CASE(events_round_trip) {
  store_event e;
  e.kind = event_kind::lock_granted;
  e.id = "L";
  e.old_version = 1;
  e.new_version = 2;
  e.payload_type = payload_kind::delta;
  e.payload = "d";
  e.old_value = "old";
  e.session = "s";
  e.owner = "o";
  e.number = 99;
  dref::test::check_wire_roundtrip(e);
  dref::test::check_wire_roundtrip(store_event{});
  BOOST_TEST(to_string(event_kind::delay_released) == "delay_released");
}

BOOST_AUTO_TEST_CASE(batches_round_trip_item_by_item) {
  proposal_batch proposals;
  for (auto& command : every_command())
    proposals.proposals.push_back(store_proposal{1, 2, 1, 0, std::move(command)});
  dref::test::check_wire_roundtrip(proposals);
  dref::test::check_wire_roundtrip(proposal_batch{});
  proposal_batch_reply replies;
  replies.outcomes.push_back({std::nullopt, store_reply{std::nullopt, res_written{4}}});
  replies.outcomes.push_back({dref::error{dref::errc::unavailable, "no leader"}, store_reply{}});
  replies.outcomes.push_back(
      {std::nullopt, store_reply{dref::error{dref::errc::not_found, "none"}, res_done{}}});
  dref::test::check_wire_roundtrip(replies);
  dref::test::check_wire_roundtrip(read_batch{
      {store_read{read_kind::value, "a", 0, 0}, store_read{read_kind::list, "p/", 0, 9}}});
  read_batch_reply reads;
  reads.outcomes.push_back({std::nullopt, store_read_reply{std::nullopt, list_page{}, 3}});
  reads.outcomes.push_back({dref::error{dref::errc::timeout, "late"}, store_read_reply{}});
  dref::test::check_wire_roundtrip(reads);
}

BOOST_AUTO_TEST_SUITE_END()
