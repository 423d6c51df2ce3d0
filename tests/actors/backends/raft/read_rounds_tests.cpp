// read_rounds: reads wait for a ReadIndex round, then for the apply; a lost
// round is asked again after its age limit; waiting reads expire.
#include "read_rounds.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

using dref::raft::node::read_rounds;
using namespace std::chrono_literals;
using strings = std::vector<std::string>;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

} // namespace

BOOST_AUTO_TEST_SUITE(read_rounds_suite)

BOOST_AUTO_TEST_CASE(a_read_is_served_only_once_its_round_index_is_applied) {
  read_rounds<std::string> reads;
  BOOST_TEST(!reads.round_wanted());
  reads.enqueue("a", t0 + 5s);
  reads.enqueue("b", t0 + 5s);
  BOOST_TEST(reads.round_wanted());
  auto context = reads.next_context();
  BOOST_TEST(context == "r1");
  reads.start(context);
  BOOST_TEST(reads.round_in_flight());
  BOOST_TEST(!reads.round_wanted());
  // A read that comes while the round is out waits for the next one.
  reads.enqueue("c", t0 + 5s);
  BOOST_TEST(!reads.round_wanted());
  BOOST_TEST(reads.take_servable(100).empty()); // not confirmed yet
  reads.confirmed("r1", 7);
  BOOST_TEST(!reads.round_in_flight());
  BOOST_TEST(reads.waiting_for_apply() == 2u);
  BOOST_TEST(reads.take_servable(6).empty());
  BOOST_TEST(reads.take_servable(7) == (strings{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(reads.waiting_for_apply() == 0u);
  BOOST_TEST(reads.round_wanted()); // "c"
}

BOOST_AUTO_TEST_CASE(reads_of_later_rounds_are_served_in_index_order) {
  read_rounds<std::string> reads;
  reads.enqueue("first", t0 + 5s);
  reads.start(reads.next_context());
  reads.confirmed("r1", 9);
  reads.enqueue("second", t0 + 5s);
  reads.start(reads.next_context());
  reads.confirmed("r2", 4);
  BOOST_TEST(reads.take_servable(4) == (strings{"second"}), boost::test_tools::per_element());
  BOOST_TEST(reads.take_servable(9) == (strings{"first"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_confirmation_for_another_round_is_ignored) {
  read_rounds<std::string> reads;
  reads.enqueue("a", t0 + 5s);
  reads.start(reads.next_context());
  reads.confirmed("r7", 3);
  BOOST_TEST(reads.round_in_flight());
  BOOST_TEST(reads.waiting_for_apply() == 0u);
}

BOOST_AUTO_TEST_CASE(a_lost_round_is_asked_again_after_its_age_limit) {
  read_rounds<std::string> reads;
  reads.enqueue("a", t0 + 5s);
  reads.start(reads.next_context());
  for (int tick = 1; tick <= 3; ++tick)
    BOOST_TEST(!reads.age(3), "tick " << tick);
  BOOST_TEST(reads.round_in_flight());
  BOOST_TEST(reads.age(3)); // older than 3 ticks: lost
  BOOST_TEST(!reads.round_in_flight());
  BOOST_TEST(reads.queued() == 1u);
  BOOST_TEST(reads.round_wanted());
  auto retry = reads.next_context();
  BOOST_TEST(retry == "r2");
  reads.start(retry);
  reads.confirmed("r1", 5); // the lost round's answer, late: ignored
  BOOST_TEST(reads.take_servable(5).empty());
  reads.confirmed(retry, 6);
  BOOST_TEST(reads.take_servable(6) == (strings{"a"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_round_that_did_not_start_uses_up_its_number) {
  read_rounds<std::string> reads;
  reads.enqueue("a", t0 + 5s);
  BOOST_TEST(reads.next_context() == "r1"); // the core refused: no leader yet
  BOOST_TEST(reads.round_wanted());
  BOOST_TEST(reads.next_context() == "r2");
}

BOOST_AUTO_TEST_CASE(waiting_reads_expire_at_their_deadline) {
  read_rounds<std::string> reads;
  reads.enqueue("in-round", t0 + 10ms);
  reads.start(reads.next_context());
  reads.enqueue("queued", t0 + 10ms);
  reads.enqueue("patient", t0 + 30ms);
  BOOST_TEST(reads.take_expired(t0 + 9ms).empty());
  // Reads in a round in flight are not expired (only once it is retried).
  BOOST_TEST(reads.take_expired(t0 + 10ms) == (strings{"queued"}),
             boost::test_tools::per_element());
  reads.confirmed("r1", 3);
  BOOST_TEST(reads.take_expired(t0 + 10ms) == (strings{"in-round"}),
             boost::test_tools::per_element());
  BOOST_TEST(reads.take_servable(3).empty());
  BOOST_TEST(reads.queued() == 1u);
  BOOST_TEST(reads.take_expired(t0 + 30ms) == (strings{"patient"}),
             boost::test_tools::per_element());
  BOOST_TEST(!reads.round_wanted());
}

BOOST_AUTO_TEST_SUITE_END()
