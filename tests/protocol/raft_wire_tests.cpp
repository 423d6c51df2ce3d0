// Round trips of raft's wire types: every message payload inside a
// raft_message envelope, an append carrying entries, and the durable
// records (log entry, hard state, membership, snapshot metadata).
#include "dref/protocol/raft_log_entry.hpp"
#include "dref/protocol/raft_messages.hpp"
#include "wire_check.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref::protocol;

namespace {

template <std::size_t... I>
void every_payload(std::index_sequence<I...>) {
  (dref::test::check_wire_roundtrip(raft_message{1, 2, 7, raft_payload{std::in_place_index<I>}}),
   ...);
}

} // namespace

BOOST_AUTO_TEST_SUITE(raft_wire)

BOOST_AUTO_TEST_CASE(every_payload_round_trips_in_its_envelope) {
  every_payload(std::make_index_sequence<std::variant_size_v<raft_payload>>{});
}

BOOST_AUTO_TEST_CASE(append_with_entries_round_trips) {
  raft_append_entries append;
  append.prev_index = 41;
  append.prev_term = 3;
  append.commit = 40;
  append.entries.push_back(raft_log_entry{4, 42, raft_entry_type::normal, 9, 17, "command"});
  append.entries.push_back(raft_log_entry{4, 43, raft_entry_type::noop, 0, 0, ""});
  dref::test::check_wire_roundtrip(append);
  dref::test::check_wire_roundtrip(raft_message{1, 3, 4, append});
}

BOOST_AUTO_TEST_CASE(durable_records_round_trip) {
  dref::test::check_wire_roundtrip(raft_log_entry{5, 6, raft_entry_type::config, 1, 2, "x"});
  dref::test::check_wire_roundtrip(raft_hard_state{});
  dref::test::check_wire_roundtrip(raft_config_state{});
  dref::test::check_wire_roundtrip(raft_snapshot_metadata{});
  dref::test::check_wire_roundtrip(raft_conf_change{});
}

BOOST_AUTO_TEST_SUITE_END()
