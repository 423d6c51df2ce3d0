// Named commands on dref-node members that load them from a plugin (the
// replicated_queue example's): the example itself, which kills the leader
// with SIGKILL halfway and must still get the seed's answers (it exits 1
// otherwise), and stale queries from a member cut off from the others.

#include "../conformance/wait_until.hpp"
#include "process_cluster.hpp"
#include "queue_commands.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace std::chrono_literals;
using queue_example::queue_with_length;

BOOST_AUTO_TEST_SUITE(replicated_queue_example)

BOOST_AUTO_TEST_CASE(gets_the_seeds_answers_with_the_leader_killed) {
  test::process_cluster cluster{3, {"--plugin", REPLICATED_QUEUE_PLUGIN}};
  BOOST_REQUIRE(cluster.leader(10s));
  std::string pids;
  for (auto& node : cluster.nodes)
    pids += (pids.empty() ? "" : ",") + std::to_string(node->pid());
  auto log = cluster.root / "example.log";
  test::child_process example{
      {REPLICATED_QUEUE_BIN, "--members", cluster.endpoints(), "--pids", pids}, log.string()};
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (example.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_TEST_REQUIRE(!example.running(), "the example still runs after 90 s");
  int status = example.stop();
  auto printed = test::file_text(log);
  BOOST_TEST_MESSAGE("replicated_queue printed:\n" << printed);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), printed);
  // It did kill a member, and the survivors answered.
  std::size_t dead = 0;
  for (auto& node : cluster.nodes)
    dead += node->running() ? 0 : 1;
  BOOST_TEST(dead == 1u);
  BOOST_TEST(test::count_of(printed, "killed with SIGKILL") == 1u);
  BOOST_TEST(test::count_of(printed, "length -> 4") == 3u);
  // The plugin's leader hook: the killed leader said it led, and so did
  // one of the others after it.
  std::size_t said = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    auto member_log = test::file_text(cluster.root / (cluster.name(i) + ".log"));
    if (member_log.find("queue: " + cluster.name(i) + " leads in term") != std::string::npos)
      ++said;
  }
  BOOST_TEST(said >= 2u);
}

// A stale query answers from the member as it is: one cut off from the
// others still answers, with what it had before the cut, while the others
// go on; a linearizable query there cannot answer at all.
BOOST_AUTO_TEST_CASE(a_stale_query_answers_from_a_member_cut_off) {
  test::process_cluster cluster{3, {"--plugin", REPLICATED_QUEUE_PLUGIN}};
  auto leader = cluster.leader(10s);
  BOOST_REQUIRE(leader);
  auto cut = (*leader + 1) % 3;
  auto id = manual_id("cluster/stale-queue");
  auto queue = cluster.ctx(*leader).make<queue_with_length>({}, id);
  queue.command<std::int64_t, std::int64_t>("queue.enqueue", 1);
  auto there = cluster.ctx(cut).existing<queue_with_length>(id);
  BOOST_REQUIRE(test::wait_until(
      [&] {
        auto length = there.try_stale_query<std::int64_t>("queue.length");
        return length && length->value == 1;
      },
      10s));
  for (std::size_t other = 0; other < 3; ++other)
    if (other != cut) {
      cluster.members[cut].set_link_cut(cluster.name(other), true);
      cluster.members[other].set_link_cut(cluster.name(cut), true);
    }
  auto later = queue.command<std::int64_t, std::int64_t>("queue.enqueue", 2);
  BOOST_TEST(later.value == 1);
  auto stale = there.try_stale_query<std::int64_t>("queue.length");
  BOOST_TEST_REQUIRE(stale.has_value(), (stale ? "" : stale.error().message));
  BOOST_TEST(stale->value == 1); // from before the cut
  BOOST_TEST(stale->version < later.version);
  auto linearizable = there.try_query<std::int64_t>("queue.length", {}, 1000ms);
  BOOST_TEST(!linearizable.has_value());
  for (std::size_t other = 0; other < 3; ++other)
    if (other != cut) {
      cluster.members[cut].set_link_cut(cluster.name(other), false);
      cluster.members[other].set_link_cut(cluster.name(cut), false);
    }
  BOOST_TEST(test::wait_until(
      [&] {
        auto length = there.try_stale_query<std::int64_t>("queue.length");
        return length && length->value == 2;
      },
      15s));
}

BOOST_AUTO_TEST_SUITE_END()
