// The queue rule of a semaphore (permit_queue.hpp): strictly first in,
// first out by version, whatever order the listing (id order) shows.
#include "permit_queue.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::detail;

namespace {

protocol::listed_id request(std::string holder, std::int64_t permits, std::uint64_t version) {
  return {request_id("s", holder, permits), version};
}

} // namespace

BOOST_AUTO_TEST_CASE(request_ids_carry_their_permits) {
  BOOST_TEST(request_id("a/sem", "session-1.7", 3) == "a/sem/session-1.7@3");
  BOOST_TEST(requested_permits("a/sem", "a/sem/session-1.7@3").value() == 3);
  BOOST_TEST(requested_permits("a/sem", "a/sem/x@y@12").value() == 12);
  // Not requests of this semaphore: ignored by the rule.
  BOOST_TEST(!requested_permits("a/sem", "a/sem/nothing").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem/@3").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem/x@0").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem/x@-2").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem/x@3z").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem/deeper/x@3").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/semaphore/x@3").has_value());
  BOOST_TEST(!requested_permits("a/sem", "a/sem").has_value());
}

BOOST_AUTO_TEST_CASE(requests_are_granted_in_version_order_while_they_fit) {
  // Listed in id order: c, a, b; made in the order a (10), b (11), c (12).
  std::vector<protocol::listed_id> line{request("c", 1, 12), request("a", 2, 10),
                                        request("b", 1, 11)};
  auto a = standing_in(line, "s", 3, request_id("s", "a", 2));
  auto b = standing_in(line, "s", 3, request_id("s", "b", 1));
  auto c = standing_in(line, "s", 3, request_id("s", "c", 1));
  BOOST_TEST(a.granted);
  BOOST_TEST(b.granted);
  BOOST_TEST(c.present);
  BOOST_TEST(!c.granted);
  BOOST_TEST(c.ahead == 0);
  BOOST_TEST(a.held == 3);
}

BOOST_AUTO_TEST_CASE(a_small_request_never_passes_a_large_one_that_waits) {
  std::vector<protocol::listed_id> line{request("holder", 2, 5), request("large", 2, 6),
                                        request("small", 1, 7)};
  auto large = standing_in(line, "s", 3, request_id("s", "large", 2));
  auto small = standing_in(line, "s", 3, request_id("s", "small", 1));
  BOOST_TEST(!large.granted);
  BOOST_TEST(!small.granted); // 1 permit is free, but the large request is first
  BOOST_TEST(small.ahead == 1);
  BOOST_TEST(small.held == 2);
  line.erase(line.begin()); // the holder releases
  BOOST_TEST(standing_in(line, "s", 3, request_id("s", "large", 2)).granted);
  BOOST_TEST(standing_in(line, "s", 3, request_id("s", "small", 1)).granted);
}

BOOST_AUTO_TEST_CASE(a_request_not_in_the_line_is_absent_and_strangers_are_ignored) {
  std::vector<protocol::listed_id> line{{"s/by-hand", 3}, {"s/x@99", 4}, request("me", 1, 5)};
  auto gone = standing_in(line, "s", 2, request_id("s", "lapsed", 1));
  BOOST_TEST(!gone.present);
  BOOST_TEST(!gone.granted);
  // "s/x@99" asks for more than the limit: it waits for ever and blocks
  // the line behind it, as any request that does not fit.
  auto me = standing_in(line, "s", 2, request_id("s", "me", 1));
  BOOST_TEST(!me.granted);
  BOOST_TEST(me.ahead == 1);
}
