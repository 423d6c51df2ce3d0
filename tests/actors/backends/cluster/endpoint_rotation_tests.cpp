// endpoint_rotation: which member a cluster client tries next, and when.

#include "endpoint_rotation.hpp"

#include <boost/test/unit_test.hpp>

using dref::backend::endpoint_rotation;
using dref::config::endpoint;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

endpoint_rotation three() {
  return endpoint_rotation{
      {endpoint{"127.0.0.1", 1}, endpoint{"127.0.0.2", 2}, endpoint{"127.0.0.3", 3}}, 50ms, 400ms};
}

} // namespace

BOOST_AUTO_TEST_SUITE(endpoint_rotation_part)

BOOST_AUTO_TEST_CASE(a_failed_member_is_tried_again_only_after_the_others) {
  auto r = three();
  r.connected(0);
  r.failed(0, t0);
  auto a = r.next(t0);
  BOOST_TEST(a.index == 1u);
  BOOST_TEST((a.not_before == t0)); // the others at once
  r.failed(1, t0);
  BOOST_TEST(r.next(t0).index == 2u);
}

BOOST_AUTO_TEST_CASE(a_round_in_which_every_member_failed_waits_longer_each_time) {
  auto r = three();
  for (std::size_t i = 0; i < 3; ++i)
    r.failed(r.next(t0).index, t0);
  auto a = r.next(t0);
  BOOST_TEST((a.not_before == t0 + 50ms));
  for (std::size_t i = 0; i < 3; ++i)
    r.failed(r.next(t0 + 50ms).index, t0 + 50ms);
  BOOST_TEST((r.next(t0 + 50ms).not_before == t0 + 150ms));
  // ... up to the cap.
  for (int round = 0; round < 5; ++round)
    for (std::size_t i = 0; i < 3; ++i)
      r.failed(r.next(t0).index, t0);
  BOOST_TEST((r.current_pause() == 400ms));
}

BOOST_AUTO_TEST_CASE(a_connection_that_worked_resets_the_pause) {
  auto r = three();
  for (std::size_t i = 0; i < 3; ++i)
    r.failed(r.next(t0).index, t0);
  BOOST_TEST((r.current_pause() == 50ms));
  r.connected(2);
  BOOST_TEST((r.current_pause() == 0ms));
  r.failed(2, t0 + 1s);
  auto a = r.next(t0 + 1s);
  BOOST_TEST(a.index == 0u);
  BOOST_TEST((a.not_before == t0 + 1s));
}

BOOST_AUTO_TEST_CASE(one_endpoint_is_tried_again_with_backoff) {
  endpoint_rotation r{{endpoint{"127.0.0.1", 1}}, 50ms, 1s};
  r.failed(0, t0);
  auto a = r.next(t0);
  BOOST_TEST(a.index == 0u);
  BOOST_TEST((a.not_before == t0 + 50ms));
}

BOOST_AUTO_TEST_SUITE_END()
