// The raft node actor in a real in-process cluster (three members, each in
// its own actor system, over loopback TCP): behaviour of the event loop that
// the parts' unit tests cannot show.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "../../../conformance/backend_clusters.hpp"
#include "test_thread.hpp"

using namespace dref;
using namespace std::chrono_literals;

namespace {

// The index of the member that leads, once one does.
std::optional<std::size_t> leader_of(test::raft_cluster& c, std::chrono::seconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < c.members.size(); ++i)
      if (auto st = c.members[i].status(c.sys, 2s); st && st->role == "leader")
        return i;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

std::string name_of(std::size_t i) { return "node-" + std::to_string(i + 1); }

} // namespace

BOOST_AUTO_TEST_SUITE(raft_node)

// While a leadership transfer is under way the leader's raft core refuses
// proposals. A proposal then waits (parked) until the transfer ends; it used
// to be routed straight back to the refusing leader, recursing until the
// stack overflowed.
BOOST_AUTO_TEST_CASE(a_proposal_during_a_leadership_transfer_waits_for_its_end) {
  test::raft_cluster c{3};
  auto leader = leader_of(c, 20s);
  BOOST_TEST_REQUIRE(leader.has_value());
  auto r = c.node(*leader).make<int>(0, manual_id("t/transfer"));
  auto target = (*leader + 1) % 3;
  // The target hears nothing from the leader, so the transfer cannot
  // complete and lasts until the leader gives up on it.
  c.members[*leader].set_link_cut(name_of(target), true);
  c.members[target].set_link_cut(name_of(*leader), true);
  result<void> transferred = error{errc::internal, "not run"};
  test::test_thread transfer{[&] {
    transferred = c.members[*leader].transfer_leadership(c.sys, name_of(target), 10s);
  }};
  std::this_thread::sleep_for(50ms); // the transfer is under way
  auto written = r.try_set(1, 10s);
  transfer.join();
  c.members[*leader].set_link_cut(name_of(target), false);
  c.members[target].set_link_cut(name_of(*leader), false);
  BOOST_TEST(written.has_value(), (written ? "" : written.error().message));
  BOOST_TEST(!transferred.has_value()); // the target never caught up
  BOOST_TEST(r.get() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
