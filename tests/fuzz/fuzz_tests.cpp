// The fuzz suite: one test case per group of targets, each target run for
// its share of DREF_FUZZ_SECONDS (tests/README.md says how to run longer,
// pick a seed or target, and replay a failure).

#include "harness.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(fuzz)

BOOST_AUTO_TEST_CASE(protocol_wire_types) {
  BOOST_TEST(dref::fuzz::run_group("protocol"));
}

BOOST_AUTO_TEST_CASE(store_snapshots_and_deltas) {
  BOOST_TEST(dref::fuzz::run_group("store"));
}

BOOST_AUTO_TEST_CASE(raft_storage_recovery) {
  BOOST_TEST(dref::fuzz::run_group("raft_storage"));
}

BOOST_AUTO_TEST_CASE(redis_replies) {
  BOOST_TEST(dref::fuzz::run_group("redis"));
}

BOOST_AUTO_TEST_SUITE_END()
