// Topics from actors: t.publish(self, m), t.subscribe(self, f),
// t.subscribe_from(self, seq, f), and the typed topic actor
// (dref/actors/topic_actor.hpp); every backend must provide them (run here
// on memory).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/topic_actor.hpp"
#include "test_thread.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;
using test::fail_into;
using test::spawn_client;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

// What one subscriber saw, in the order it saw it.
struct seen_log {
  std::mutex mutex;
  std::vector<std::pair<std::uint64_t, std::string>> messages;

  void add(std::uint64_t seq, const std::string& m) {
    std::lock_guard guard{mutex};
    messages.emplace_back(seq, m);
  }
  std::size_t size() {
    std::lock_guard guard{mutex};
    return messages.size();
  }
  // Every seq from `first` to `last` once, in order, carrying the message
  // published under it (published[seq]).
  void check(std::uint64_t first, std::uint64_t last, const std::vector<std::string>& published) {
    std::lock_guard guard{mutex};
    BOOST_TEST_REQUIRE(messages.size() == last - first + 1);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      BOOST_TEST_REQUIRE(messages[i].first == first + i);
      BOOST_TEST_REQUIRE(messages[i].second == published.at(messages[i].first));
    }
  }
};

// An actor subscribed to id on ctx (from seq, or live when 0), keeping its
// subscription in its own state; `ready` is set once subscribed. Stop it
// with an exit message.
caf::actor spawn_subscriber(caf::actor_system& sys, context& ctx, const dref::id& id,
                            std::uint64_t from, seen_log& log, std::atomic<int>& ready) {
  return spawn_client(sys, [&ctx, id, from, &log, &ready](caf::event_based_actor* self,
                                                          std::function<void()> finish) {
    auto kept = std::make_shared<subscription>();
    ctx.make_topic<std::string>(id)
        .subscribe_from(self, from,
                        [&log](std::uint64_t seq, const std::string& m) { log.add(seq, m); })
        .then(
            [kept, &ready, self](subscription s) {
              *kept = std::move(s);
              ready = 1;
              self->become([kept](int) {}); // the actor owns the subscription
            },
            fail_into(ready, finish));
  });
}

} // namespace

BOOST_AUTO_TEST_SUITE(topic_actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(subscriber_actors_see_every_message_in_order, cluster) {
  auto id = manual_id("ta/order");
  constexpr int publishers = 3;
  constexpr int per_publisher = 40;
  std::array<seen_log, 3> logs;
  std::array<std::atomic<int>, 3> ready{};
  test::actor_stopper stop;
  for (std::size_t n = 0; n < 3; ++n)
    stop.add(spawn_subscriber(sys, node(n), id, 0, logs[n], ready[n]));
  for (auto& r : ready)
    BOOST_TEST_REQUIRE(wait_until([&] { return r != 0; }));
  for (auto& r : ready)
    BOOST_TEST_REQUIRE(r.load() == 1);
  std::mutex published_mutex;
  std::vector<std::string> published(publishers * per_publisher + 1);
  std::atomic<int> answered{0}, failed{0};
  for (int p = 0; p < publishers; ++p)
    spawn_client(sys, [&, p](caf::event_based_actor* self, std::function<void()> finish) {
      auto t = node(static_cast<std::size_t>(p)).make_topic<std::string>(id);
      // Each publisher ends once its own answers are in (a client left
      // running would keep the actor system from shutting down).
      auto mine = std::make_shared<int>(0);
      for (int i = 0; i < per_publisher; ++i) {
        auto text = std::to_string(p) + "/" + std::to_string(i);
        t.publish(self, text)
            .then(
                [&, text, finish, mine](std::uint64_t seq) {
                  {
                    std::lock_guard guard{published_mutex};
                    published.at(seq) = text;
                  }
                  ++answered;
                  if (++*mine == per_publisher)
                    finish();
                },
                [&, finish, mine](const error& e) {
                  BOOST_ERROR("publish failed: " << e.to_string());
                  ++failed;
                  if (++*mine == per_publisher)
                    finish();
                });
      }
    });
  BOOST_TEST_REQUIRE(wait_until([&] { return answered + failed == publishers * per_publisher; }));
  BOOST_TEST(failed.load() == 0);
  for (auto& log : logs) {
    BOOST_TEST_REQUIRE(wait_until([&] { return log.size() >= publishers * per_publisher; }));
    std::lock_guard guard{published_mutex};
    log.check(1, publishers * per_publisher, published);
  }
}

BOOST_FIXTURE_TEST_CASE(subscribe_from_replays_then_goes_live_without_gaps, cluster) {
  auto id = manual_id("ta/replay");
  auto t = node(0).make_topic<std::string>(id);
  std::vector<std::string> published{""};
  for (int i = 1; i <= 300; ++i) { // more than one replay page
    published.push_back("m" + std::to_string(i));
    BOOST_TEST_REQUIRE(t.publish(published.back()) == static_cast<std::uint64_t>(i));
  }
  for (int i = 301; i <= 400; ++i)
    published.push_back("m" + std::to_string(i));
  // Publishing goes on while the actor subscribes and replays.
  test::test_thread more{[&] {
    for (int i = 301; i <= 400; ++i)
      t.publish(published[static_cast<std::size_t>(i)]);
  }};
  seen_log log;
  std::atomic<int> ready{0};
  test::actor_stopper stop;
  stop.add(spawn_subscriber(sys, node(1), id, 5, log, ready));
  more.join();
  BOOST_TEST_REQUIRE(wait_until([&] { return ready != 0; }));
  BOOST_TEST_REQUIRE(ready.load() == 1);
  BOOST_TEST_REQUIRE(wait_until([&] { return log.size() >= 396; }));
  log.check(5, 400, published);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(topic_actor_conformance)

BOOST_FIXTURE_TEST_CASE(subscribers_receive_typed_messages_in_order, cluster) {
  auto id = manual_id("tt/order");
  constexpr int clients = 6;
  constexpr int per_client = 20;
  std::array<seen_log, 3> logs;
  seen_log late;
  std::mutex published_mutex;
  std::vector<std::string> published(clients * per_client + 1);
  std::atomic<int> answered{0}, failed{0};
  test::actor_stopper stop;
  std::vector<topic_actor<std::string>> served;
  for (std::size_t n = 0; n < 3; ++n)
    served.push_back(stop.add(spawn_topic_actor(sys, node(n).make_topic<std::string>(id))));
  std::vector<caf::actor> subscribers;
  for (std::size_t n = 0; n < 3; ++n)
    subscribers.push_back(
        stop.add(sys.spawn([&log = logs[n]](caf::event_based_actor*) -> caf::behavior {
          return {[&log](topic_message_atom, std::uint64_t seq, const std::string& m) {
            log.add(seq, m);
          }};
        })));
  caf::scoped_actor self{sys};
  auto fail = [](const caf::error& e) {
    BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
  };
  for (std::size_t n = 0; n < 3; ++n)
    self->request(served[n], 5s, topic_subscribe_atom::value, subscribers[n]).receive([] {}, fail);
  for (int c = 0; c < clients; ++c)
    stop.add(sys.spawn(
        [&, c, target = served[static_cast<std::size_t>(c) % 3]](caf::event_based_actor* client) {
          for (int i = 0; i < per_client; ++i) {
            auto text = std::to_string(c) + ":" + std::to_string(i);
            client->request(target, 10s, topic_publish_atom::value, text)
                .then(
                    [&, text](std::uint64_t seq) {
                      std::lock_guard guard{published_mutex};
                      published.at(seq) = text;
                      ++answered;
                    },
                    [&](const caf::error&) { ++failed; });
          }
        }));
  BOOST_TEST_REQUIRE(wait_until([&] { return answered + failed == clients * per_client; }));
  BOOST_TEST(failed.load() == 0);
  for (auto& log : logs) {
    BOOST_TEST_REQUIRE(wait_until([&] { return log.size() >= clients * per_client; }));
    std::lock_guard guard{published_mutex};
    log.check(1, clients * per_client, published);
  }
  // A late subscriber asks for the history from seq 100 on.
  auto late_actor = stop.add(sys.spawn([&late](caf::event_based_actor*) -> caf::behavior {
    return {
        [&late](topic_message_atom, std::uint64_t seq, const std::string& m) { late.add(seq, m); }};
  }));
  self->request(served[1], 5s, topic_subscribe_from_atom::value, late_actor, std::uint64_t{100})
      .receive([] {}, fail);
  BOOST_TEST_REQUIRE(wait_until([&] { return late.size() >= clients * per_client - 99; }));
  {
    std::lock_guard guard{published_mutex};
    late.check(100, clients * per_client, published);
  }
  // Unsubscribed: the next message reaches the others only.
  self->request(served[0], 5s, topic_unsubscribe_atom::value, subscribers[0]).receive([] {}, fail);
  std::uint64_t last = 0;
  self->request(served[2], 5s, topic_publish_atom::value, std::string{"after"})
      .receive([&](std::uint64_t seq) { last = seq; }, fail);
  BOOST_TEST_REQUIRE(wait_until([&] { return logs[1].size() == last && logs[2].size() == last; }));
  BOOST_TEST(logs[0].size() == last - 1);
}

BOOST_AUTO_TEST_SUITE_END()
