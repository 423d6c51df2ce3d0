// node_figures (node_figures.hpp): leader changes as etcd counts them, and
// latency histograms with quantiles over an interval.

#include "dref/backends/raft/node_figures.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref::raft::node;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(node_figures_part)

BOOST_AUTO_TEST_CASE(a_new_leader_counts_once_and_no_leader_not_at_all) {
  node_figures f;
  for (std::uint64_t leader : {0, 0, 7, 7, 0, 7, 9, 9, 0, 7})
    f.leader_seen(leader);
  BOOST_TEST(f.leader_changes == 3u); // 7, 9, 7
}

BOOST_AUTO_TEST_CASE(quantiles_cover_what_was_observed_since_a_copy) {
  latency_histogram h;
  BOOST_TEST(!h.quantile_since({}, 0.5).has_value());
  for (int i = 0; i < 90; ++i)
    h.observe(300us); // bucket 0.0005
  for (int i = 0; i < 10; ++i)
    h.observe(20ms); // bucket 0.025
  BOOST_TEST(h.count() == 100u);
  BOOST_TEST(h.at_or_under(0) == 0u);  // 0.0001
  BOOST_TEST(h.at_or_under(2) == 90u); // 0.0005
  BOOST_TEST(h.at_or_under(h.bounds.size() - 1) == 100u);
  BOOST_TEST(*h.quantile_since({}, 0.5) == 0.0005);
  BOOST_TEST(*h.quantile_since({}, 0.9) == 0.0005);
  BOOST_TEST(*h.quantile_since({}, 0.99) == 0.025);
  auto earlier = h;
  BOOST_TEST(!h.quantile_since(earlier, 0.5).has_value());
  // A copy of a fuller histogram (another one's) is not an interval.
  BOOST_TEST(!latency_histogram{}.quantile_since(h, 0.5).has_value());
  h.observe(2s);
  h.observe(60s); // past the last bound: counted there
  BOOST_TEST(*h.quantile_since(earlier, 0.5) == 5.0);
  BOOST_TEST(*h.quantile_since(earlier, 0.99) == 5.0);
  BOOST_TEST(h.sum_seconds() > 62.0);
}

BOOST_AUTO_TEST_SUITE_END()
