#include <boost/test/unit_test.hpp>

#include "sim_cluster.hpp"

using namespace dref::test::sim;

BOOST_AUTO_TEST_SUITE(raft_scenarios)

BOOST_AUTO_TEST_CASE(three_nodes_elect_a_leader) {
  cluster c({.nodes = 3, .seed = 7});
  auto l = c.wait_for_leader(200);
  BOOST_REQUIRE(l);
  BOOST_TEST(c.violation() == "");
}

BOOST_AUTO_TEST_SUITE_END()
