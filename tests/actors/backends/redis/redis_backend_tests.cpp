// The redis backend behind a context, on a real redis-server: start-up
// errors, key prefixes, a crash and restart of Redis in the middle of
// writes, and watchers that catch up after losing events.
#include "../../../conformance/wait_until.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "redis_test_client.hpp"
#include "test_thread.hpp"

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::must;

namespace {

config::node_config redis_node(std::uint16_t port, std::string prefix) {
  config::node_config node;
  node.backend = config::backend_kind::redis;
  node.redis = {"127.0.0.1", port};
  node.redis_key_prefix = std::move(prefix);
  return node;
}

struct redis_nodes {
  explicit redis_nodes(bool append_only = false)
      : server(append_only) {}
  test::redis_server server;
  redis::client inspector{test::client_options(server)};
  node_system_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

BOOST_AUTO_TEST_SUITE(redis_backend_contexts)

BOOST_AUTO_TEST_CASE(no_redis_at_the_address_is_a_clear_error) {
  node_system_config cfg;
  caf::actor_system sys{cfg};
  auto port = test::free_loopback_port();
  try {
    (void)redis_backend::start(sys, redis_node(port, "x:"));
    BOOST_FAIL("a backend started without a Redis");
  } catch (const error_exception& e) {
    BOOST_TEST(to_string(e.error().code) == "unavailable");
    BOOST_TEST(e.error().message.find("no Redis answers at 127.0.0.1:" + std::to_string(port)) !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(prefixes_keep_applications_apart) {
  redis_nodes n;
  context a{n.sys, redis_backend::start(n.sys, redis_node(n.server.port(), "app-a:"))};
  context b{n.sys, redis_backend::start(n.sys, redis_node(n.server.port(), "app-b:"))};
  auto ra = a.make<int>(1, manual_id("shared/name"));
  auto rb = b.make<int>(2, manual_id("shared/name"));
  ra.set(10);
  BOOST_TEST(ra.get() == 10);
  BOOST_TEST(rb.get() == 2);
  BOOST_TEST(must(n.inspector.call({"EXISTS", "app-a:v:shared/name"})).integer == 1);
  BOOST_TEST(must(n.inspector.call({"EXISTS", "app-b:v:shared/name"})).integer == 1);
}

BOOST_AUTO_TEST_CASE(a_foreign_key_gives_wrong_type_and_stays_as_it_was) {
  redis_nodes n;
  context c{n.sys, redis_backend::start(n.sys, redis_node(n.server.port(), "app:"))};
  must(n.inspector.call({"RPUSH", "app:v:jobs", "someone else's"}));
  auto jobs = c.existing<int>(manual_id("jobs"));
  auto got = jobs.try_get();
  BOOST_TEST_REQUIRE(!got.has_value());
  BOOST_TEST(to_string(got.error().code) == "wrong_type");
  BOOST_TEST(got.error().message.find("ref 'jobs'") != std::string::npos);
  BOOST_CHECK_THROW(jobs.set(1), error_exception);
  BOOST_TEST(must(n.inspector.call({"LRANGE", "app:v:jobs", "0", "-1"})).elements.size() == 1u);
}

// With appendonly and fsync on every write, a kill -9 of Redis loses
// nothing it acknowledged; the writer's calls wait out the restart (they
// are retried under the same sequence number) and the watcher on another
// node resumes its event stream where it stopped.
BOOST_AUTO_TEST_CASE(a_redis_crash_loses_no_acknowledged_write_and_no_event) {
  redis_nodes n{true};
  auto node = redis_node(n.server.port(), "app:");
  context writer{n.sys, redis_backend::start(n.sys, node)};
  context watcher{n.sys, redis_backend::start(n.sys, node)};
  auto counter = writer.make<std::int64_t>(0, manual_id("counter"));
  std::mutex m;
  std::vector<std::pair<std::int64_t, std::int64_t>> changes;
  auto sub = watcher.existing<std::int64_t>(manual_id("counter"))
                 .on_change([&](std::int64_t before, std::int64_t after) {
                   std::lock_guard guard{m};
                   changes.emplace_back(before, after);
                 });
  std::vector<std::int64_t> acknowledged;
  std::vector<std::string> failures;
  std::atomic<bool> crashed{false};
  test::test_thread writes([&] {
    for (std::int64_t i = 1; i <= 400; ++i) {
      auto done = counter.try_set(i);
      if (done)
        acknowledged.push_back(i);
      else
        failures.push_back(done.error().to_string());
      if (i == 150) {
        n.server.kill_hard(); // before the flag: the main thread restarts it next
        crashed = true;
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  BOOST_TEST_REQUIRE(test::wait_until([&] { return crashed.load(); }));
  std::this_thread::sleep_for(300ms); // writes pile up while Redis is down
  n.server.restart();
  writes.join();
  BOOST_TEST_MESSAGE(acknowledged.size()
                     << " writes acknowledged, " << failures.size() << " failed");
  for (const auto& f : failures)
    BOOST_TEST_MESSAGE("failed: " << f);
  BOOST_TEST_REQUIRE(!acknowledged.empty());
  BOOST_TEST(acknowledged.back() == 400); // the writes went on after the restart
  auto final_value = counter.get();
  BOOST_TEST(final_value >= acknowledged.back());
  BOOST_TEST_REQUIRE(test::wait_until([&] {
    std::lock_guard guard{m};
    return !changes.empty() && changes.back().second == final_value;
  }));
  std::lock_guard guard{m};
  for (std::size_t i = 1; i < changes.size(); ++i)
    BOOST_TEST_REQUIRE(changes[i].first == changes[i - 1].second); // no event went missing
  std::vector<std::int64_t> seen;
  for (const auto& change : changes)
    seen.push_back(change.second);
  for (auto value : acknowledged)
    BOOST_TEST((std::find(seen.begin(), seen.end(), value) != seen.end()), "write " << value);
}

BOOST_AUTO_TEST_CASE(calls_fail_with_a_typed_error_while_redis_stays_down) {
  redis_nodes n;
  context c{n.sys, redis_backend::start(n.sys, redis_node(n.server.port(), "app:"))};
  auto r = c.make<int>(1, manual_id("x"));
  n.server.kill_hard();
  auto started = std::chrono::steady_clock::now();
  auto set = r.try_set(2);
  auto got = r.try_get();
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_TEST_REQUIRE(!set.has_value());
  BOOST_TEST_REQUIRE(!got.has_value());
  // Not sent (unavailable) or sent with the answer lost (timeout): both say
  // what happened, after the backend's retries (3 s each) gave up.
  for (const auto& e : {set.error(), got.error()}) {
    BOOST_TEST_MESSAGE(e.to_string());
    BOOST_TEST((e.code == errc::unavailable || e.code == errc::timeout));
  }
  BOOST_TEST(waited < std::chrono::seconds{20});
}

// Events past what Redis keeps are gone for a watcher that was away; it
// then gets the current state. Simulated here by writing behind dref's
// back and skipping event numbers, as trimming the stream would.
BOOST_AUTO_TEST_CASE(watchers_catch_up_on_what_they_lost) {
  redis_nodes n;
  auto node = redis_node(n.server.port(), "app:");
  context a{n.sys, redis_backend::start(n.sys, node)};
  context b{n.sys, redis_backend::start(n.sys, node)};
  auto config_a = a.make<std::string>("one", manual_id("config"));
  auto config_b = b.existing<std::string>(manual_id("config"));
  BOOST_TEST(config_b.get_cached() == "one");
  std::mutex changes_mutex;
  std::vector<std::pair<std::string, std::string>> changes;
  auto watching = config_b.on_change([&](const std::string& before, const std::string& after) {
    std::lock_guard guard{changes_mutex};
    changes.emplace_back(before, after);
  });
  // Prefix watchers of the same ids: "con" (config), "go" (gone).
  std::map<std::string, std::vector<std::string>> prefix_changes; // "ID KIND [VALUE]"
  auto recorder = [&](std::string prefix) {
    return [&, prefix](const std::string& id, const change<std::string>& c) {
      std::lock_guard guard{changes_mutex};
      auto line = id + (c.kind == change_kind::removed     ? " removed"
                        : c.kind == change_kind::caught_up ? " caught_up "
                                                           : " changed ");
      prefix_changes[prefix].push_back(line + c.new_value.value_or(""));
    };
  };
  auto watching_con = b.watch_prefix<std::string>("con", recorder("con"));
  auto watching_go = b.watch_prefix<std::string>("go", recorder("go"));
  auto gone_known = a.make<std::string>("there", manual_id("go/known"));
  config_a.set("two"); // seen as it happens
  auto gone_a = a.make<std::string>("here", manual_id("gone"));
  auto gone_b = b.existing<std::string>(manual_id("gone"));
  BOOST_TEST(gone_b.get_cached() == "here");
  auto waiting = b.make_promise<std::string>(manual_id("answer"));
  std::optional<std::string> delivered; // checked on this thread, once joined
  test::test_thread waiter([&] {
    if (auto got = waiting.get_for(20s))
      delivered = *got;
  });
  std::this_thread::sleep_for(100ms); // the wait is in place
  must(n.inspector.call({"HSET", "app:v:config", "value", binary_codec<std::string>::encode("lost"),
                         "version", "1000"}));
  must(n.inspector.call({"HSET", "app:p:answer", "value", binary_codec<std::string>::encode("42"),
                         "version", "1001"}));
  must(n.inspector.call({"DEL", "app:v:gone"}));
  must(n.inspector.call({"DEL", "app:v:go/known"}));
  must(n.inspector.call({"INCR", "app:index"}));
  must(n.inspector.call({"INCRBY", "app:eseq", "5"}));
  a.make<int>(0, manual_id("elsewhere")).set(1); // the next event shows the gap
  BOOST_TEST(test::wait_until([&] { return config_b.get_cached() == "lost"; }));
  // on_change: the write it saw, then one step from there to the current value.
  BOOST_TEST(test::wait_until([&] {
    std::lock_guard guard{changes_mutex};
    return changes.size() >= 2;
  }));
  {
    std::lock_guard guard{changes_mutex};
    std::vector<std::pair<std::string, std::string>> expected{{"one", "two"}, {"two", "lost"}};
    BOOST_TEST((changes == expected));
  }
  BOOST_TEST(test::wait_until([&] { return !gone_b.try_get_cached().has_value(); }));
  // The prefix watchers: the changes they saw, the value that moved, the
  // id they knew that is gone (learnt from the end of the prefix's
  // catch-up: nothing else tells of go/known).
  BOOST_TEST(test::wait_until([&] {
    std::lock_guard guard{changes_mutex};
    return prefix_changes["con"].size() >= 2 && !prefix_changes["go"].empty() &&
           prefix_changes["go"].back() == "go/known removed";
  }));
  {
    std::lock_guard guard{changes_mutex};
    std::vector<std::string> con{"config changed two", "config caught_up lost"};
    BOOST_TEST(prefix_changes["con"] == con, boost::test_tools::per_element());
    const auto& go = prefix_changes["go"];
    BOOST_TEST(go.front() == "go/known changed there");
    BOOST_TEST(std::count_if(go.begin(), go.end(), [](const std::string& line) {
                 return line.starts_with("go/known");
               }) == 2);
  }
  waiter.join();
  BOOST_TEST((delivered == std::optional<std::string>{"42"}));
}

// An event this dref cannot read (a newer version's kind, or an entry
// someone else appended) is stepped over; the events after it still come.
BOOST_AUTO_TEST_CASE(an_unreadable_event_is_stepped_over) {
  redis_nodes n;
  auto node = redis_node(n.server.port(), "app:");
  context a{n.sys, redis_backend::start(n.sys, node)};
  context b{n.sys, redis_backend::start(n.sys, node)};
  auto counter = a.make<int>(0, manual_id("counter"));
  std::atomic<int> last{0};
  auto sub = b.existing<int>(manual_id("counter")).on_change([&](int, int now) { last = now; });
  auto next = must(n.inspector.call({"INCR", "app:eseq"})).integer;
  must(n.inspector.call(
      {"XADD", "app:events", "*", "q", std::to_string(next), "k", "99", "i", "counter"}));
  counter.set(7);
  BOOST_TEST(test::wait_until([&] { return last.load() == 7; }));
}

BOOST_AUTO_TEST_SUITE_END()
