// store::summarise (overview.hpp): counts over the whole store, the first
// rows of each kind in id order, values and messages cut, dref's own
// records left out.

#include "dref/store/overview.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

BOOST_AUTO_TEST_SUITE(overview)

BOOST_FIXTURE_TEST_CASE(counts_everything_and_shows_the_first_rows, store_fixture) {
  for (auto id : {"c", "a", "b"})
    run(cmd_set{id, std::string{"value of "} + id});
  run(cmd_set{"long", std::string(300, 'x')});
  run(cmd_member_announce{"node-1", "127.0.0.1:4000"}); // dref/members/node-1
  run(cmd_session_open{"s1", 5000});
  run(cmd_session_open{"s2", 5000});
  run(cmd_lock_acquire{"l1", "s1", "worker-1", true});
  run(cmd_lock_acquire{"l1", "s2", "worker-2", true}); // waits
  for (int i = 1; i <= 7; ++i)
    run(cmd_publish{"news", "m" + std::to_string(i)});

  auto o = store::summarise(s, {.rows = 3, .value_bytes = 10, .last_messages = 2});
  BOOST_TEST(o.applied_index == index);
  BOOST_TEST(o.values == 4u); // dref/members/node-1 not among them
  BOOST_TEST_REQUIRE(o.value_rows.size() == 3u);
  BOOST_TEST(o.value_rows[0].id == "a");
  BOOST_TEST(o.value_rows[0].value == "value of a");
  BOOST_TEST(!o.value_rows[0].truncated);
  BOOST_TEST(o.value_rows[2].id == "c");
  BOOST_TEST(o.values_more);
  BOOST_TEST(o.sessions == 2u);
  BOOST_TEST(!o.sessions_more);
  BOOST_TEST(o.session_rows.at(0).deadline_ms == now + 5000);
  BOOST_TEST(o.locks_held == 1u);
  BOOST_TEST(o.lock_waiters == 1u);
  BOOST_TEST_REQUIRE(o.lock_rows.size() == 1u);
  BOOST_TEST(o.lock_rows[0].state.owner == "worker-1");
  BOOST_TEST(o.lock_rows[0].state.token > 0u);
  BOOST_TEST_REQUIRE(o.lock_rows[0].state.waiters.size() == 1u);
  BOOST_TEST(o.lock_rows[0].state.waiters[0].owner == "worker-2");
  BOOST_TEST(o.topics == 1u);
  BOOST_TEST_REQUIRE(o.topic_rows.size() == 1u);
  BOOST_TEST(o.topic_rows[0].next_seq == 8u);
  BOOST_TEST_REQUIRE(o.topic_rows[0].last.size() == 2u);
  BOOST_TEST(o.topic_rows[0].last[0].message == "m6");
  BOOST_TEST(o.topic_rows[0].last[1].message == "m7");

  auto wide = store::summarise(s, {.rows = 10, .value_bytes = 10, .last_messages = 2});
  BOOST_TEST(!wide.values_more);
  BOOST_TEST_REQUIRE(wide.value_rows.size() == 4u);
  BOOST_TEST(wide.value_rows[3].id == "long");
  BOOST_TEST(wide.value_rows[3].value == std::string(10, 'x'));
  BOOST_TEST(wide.value_rows[3].truncated);
}

BOOST_AUTO_TEST_SUITE_END()
