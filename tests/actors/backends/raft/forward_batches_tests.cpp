// forward_batches: a follower's forwards gathered into batches for the
// leader, sent whole when full, when the leader changes, or when taken.
#include "forward_batches.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <vector>

using dref::raft::node::forward_batches;
using namespace std::chrono_literals;
namespace protocol = dref::protocol;

namespace {
const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
} // namespace

BOOST_AUTO_TEST_SUITE(forward_batches_suite)

BOOST_AUTO_TEST_CASE(forwards_gather_until_taken_and_go_as_one) {
  forward_batches b;
  BOOST_TEST(!b.take().has_value());
  for (std::uint64_t n = 1; n <= 5; ++n)
    BOOST_TEST(b.add(7, n, 100, t0 + std::chrono::seconds{n}).empty());
  auto batch = b.take();
  BOOST_REQUIRE(batch.has_value());
  BOOST_TEST(batch->leader == 7u);
  BOOST_TEST(batch->numbers == (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  // The request waits as long as its most patient proposal.
  BOOST_TEST((batch->deadline == t0 + 5s));
  BOOST_TEST(!b.take().has_value());
}

BOOST_AUTO_TEST_CASE(a_full_batch_goes_at_once) {
  forward_batches b;
  std::vector<forward_batches::batch> sent;
  for (std::uint64_t n = 1; n <= protocol::max_batch_items + 3; ++n)
    for (auto& full : b.add(7, n, 10, t0))
      sent.push_back(std::move(full));
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].numbers.size() == protocol::max_batch_items);
  BOOST_TEST(sent[0].numbers.front() == 1u);
  BOOST_TEST(b.take()->numbers.size() == 3u);
}

BOOST_AUTO_TEST_CASE(bytes_bound_a_batch_and_a_large_proposal_goes_alone) {
  forward_batches b;
  BOOST_TEST(b.add(7, 1, protocol::max_batch_bytes / 2, t0).empty());
  BOOST_TEST(b.add(7, 2, protocol::max_batch_bytes / 4, t0).empty());
  auto sent = b.add(7, 3, protocol::max_batch_bytes, t0);
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].numbers == (std::vector<std::uint64_t>{1, 2}));
  sent = b.add(7, 4, 1, t0);
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].numbers == (std::vector<std::uint64_t>{3}));
  BOOST_TEST(b.take()->numbers == (std::vector<std::uint64_t>{4}));
}

BOOST_AUTO_TEST_CASE(a_forward_to_another_leader_sends_what_gathered_first) {
  forward_batches b;
  BOOST_TEST(b.add(7, 1, 10, t0).empty());
  BOOST_TEST(b.add(7, 2, 10, t0).empty());
  auto sent = b.add(9, 3, 10, t0);
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].leader == 7u);
  BOOST_TEST(sent[0].numbers == (std::vector<std::uint64_t>{1, 2}));
  auto rest = b.take();
  BOOST_TEST(rest->leader == 9u);
  BOOST_TEST(rest->numbers == (std::vector<std::uint64_t>{3}));
}

BOOST_AUTO_TEST_SUITE_END()
