// Locks from actors: context::lock(self, id) and friends, and the typed
// lock actor (dref/actors/lock_actor.hpp); every backend must provide them
// (run here on memory).

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/lock_actor.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <optional>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;
using test::spawn_client;
using test::wait_until;

namespace {

using cluster = test::conformance_cluster;

void unexpected(const error& e) {
  BOOST_ERROR("unexpected: " << e.to_string());
}

// A test's view of one actor's lock: set in the actor, read by the test.
struct holder {
  std::atomic<std::uint64_t> token{0};
  std::atomic<bool> release{false}; // the test tells the actor to unlock
  std::atomic<bool> released{false};
  std::atomic<bool> lost{false};
  std::atomic<int> failures{0};
  std::atomic<errc> unlock_error{errc::internal};
};

// An actor that locks id through ctx, holds it until h.release is set,
// then unlocks and terminates.
caf::actor hold_lock(caf::actor_system& sys, context& ctx, const dref::id& id, holder& h) {
  return spawn_client(sys,
                      [&ctx, id, &h](caf::event_based_actor* self, std::function<void()> finish) {
                        ctx.lock(self, id, [&h] { h.lost = true; })
                            .then(
                                [self, &ctx, id, &h, finish](std::uint64_t token) {
                                  h.token = token;
                                  auto poll = std::make_shared<std::function<void()>>();
                                  *poll = [self, &ctx, id, &h, finish, poll] {
                                    if (!h.release)
                                      return self->delayed_send(self, 5ms, 0);
                                    ctx.unlock(self, id, h.token.load())
                                        .then(
                                            [&h, finish] {
                                              h.released = true;
                                              finish();
                                            },
                                            [&h, finish](const error& e) {
                                              h.unlock_error = e.code;
                                              ++h.failures;
                                              finish();
                                            });
                                  };
                                  self->become([poll](int) { (*poll)(); });
                                  (*poll)();
                                },
                                [&h, finish](const error& e) {
                                  unexpected(e);
                                  ++h.failures;
                                  finish();
                                });
                      });
}

} // namespace

BOOST_AUTO_TEST_SUITE(lock_actor_api_conformance)

BOOST_FIXTURE_TEST_CASE(actors_on_two_nodes_take_turns, cluster) {
  auto id = manual_id("la/turns");
  holder first, second;
  test::actor_stopper stop;
  stop.add(hold_lock(sys, node(0), id, first));
  BOOST_TEST_REQUIRE(wait_until([&] { return first.token != 0; }));
  stop.add(hold_lock(sys, node(1), id, second));
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(second.token == 0u); // queued behind the first, not granted
  first.release = true;
  BOOST_TEST_REQUIRE(wait_until([&] { return second.token != 0; }));
  // The grant may reach the second node before the unlock's answer reaches
  // the first one.
  BOOST_TEST(wait_until([&] { return first.released.load(); }));
  BOOST_TEST(second.token > first.token);
  second.release = true;
  BOOST_TEST_REQUIRE(wait_until([&] { return second.released.load(); }));
  BOOST_TEST(node(2).try_lock(id).has_value()); // nobody holds it any more
  BOOST_TEST(first.failures + second.failures == 0);
}

BOOST_FIXTURE_TEST_CASE(try_lock_and_try_lock_for_from_an_actor, cluster) {
  auto id = manual_id("la/try");
  auto held = node(0).lock(id);
  std::atomic<int> step{0};
  std::optional<std::uint64_t> now{1}, later{1}, after_release;
  test::actor_stopper stop;
  stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    node(1).try_lock(self, id).then(
        [&, self, finish](std::optional<std::uint64_t> got) {
          now = got;
          node(1)
              .try_lock_for(self, id, 200ms)
              .then(
                  [&, finish](std::optional<std::uint64_t> got2) {
                    later = got2;
                    step = 1;
                    finish();
                  },
                  test::fail_into(step, finish));
        },
        test::fail_into(step, finish));
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return step != 0; }));
  BOOST_TEST(!now.has_value());
  BOOST_TEST(!later.has_value());
  held.unlock();
  // The timed-out actor left the queue: the lock is free for anyone now.
  stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
    node(2).try_lock(self, id).then(
        [&, finish](std::optional<std::uint64_t> got) {
          after_release = got;
          step = 2;
          finish();
        },
        test::fail_into(step, finish));
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return step == 2 || step == -1; }));
  BOOST_TEST(after_release.has_value());
  BOOST_TEST(!node(0).try_lock(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(one_actor_locks_reentrantly_and_non_holders_are_refused, cluster) {
  auto id = manual_id("la/reentrant");
  std::atomic<int> phase{0};
  std::uint64_t first = 0, second = 0;
  errc other_node = errc::internal, wrong_token = errc::internal;
  test::actor_stopper stop;
  // Phase 1: locked twice. Phase 2: unlocked once. Phase 3: unlocked again.
  auto client =
      stop.add(spawn_client(sys, [&](caf::event_based_actor* self, std::function<void()> finish) {
        auto fail = [&, finish](const error& e) {
          unexpected(e);
          phase = -1;
          finish();
        };
        node(0).lock(self, id).then(
            [&, self, finish, fail](std::uint64_t t1) {
              first = t1;
              node(0).lock(self, id).then(
                  [&, self, finish, fail](std::uint64_t t2) {
                    second = t2;
                    node(1)
                        .unlock(self, id, t2)
                        .then(
                            [fail] {
                              fail(error{errc::internal, "other node unlocked"});
                            },
                            [&, self, finish, fail](const error& e) {
                              other_node = e.code;
                              node(0)
                                  .unlock(self, id, t2 + 1)
                                  .then(
                                      [fail] {
                                        fail(error{errc::internal, "stale token unlocked"});
                                      },
                                      [&, self, finish, fail](const error& e2) {
                                        wrong_token = e2.code;
                                        node(0)
                                            .unlock(self, id, first)
                                            .then(
                                                [&, self, finish, fail] {
                                                  // The test's signal to unlock the second level.
                                                  self->become([&, self, finish, fail](int) {
                                                    node(0)
                                                        .unlock(self, id, first)
                                                        .then(
                                                            [&, finish] {
                                                              phase = 2;
                                                              finish();
                                                            },
                                                            fail);
                                                  });
                                                  phase = 1;
                                                },
                                                fail);
                                      });
                            });
                  },
                  fail);
            },
            fail);
      }));
  BOOST_TEST_REQUIRE(wait_until([&] { return phase != 0; }));
  BOOST_TEST(phase.load() == 1);
  BOOST_TEST(first == second);
  BOOST_TEST((other_node == errc::not_holder));
  BOOST_TEST((wrong_token == errc::not_holder));
  BOOST_TEST(!node(1).try_lock(id).has_value()); // one level still held
  caf::anon_send(client, 0);
  BOOST_TEST_REQUIRE(wait_until([&] { return phase != 1; }));
  BOOST_TEST(phase.load() == 2);
  BOOST_TEST(node(1).try_lock(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_crashed_holders_lock_passes_on_and_the_holder_is_told, cluster) {
  auto id = manual_id("la/crash");
  holder crashed, next;
  test::actor_stopper stop;
  stop.add(hold_lock(sys, node(0), id, crashed));
  BOOST_TEST_REQUIRE(wait_until([&] { return crashed.token != 0; }));
  stop.add(hold_lock(sys, node(1), id, next));
  node(0).abandon(); // stops renewing its session, releases nothing
  BOOST_TEST_REQUIRE(wait_until([&] { return next.token != 0; }));
  BOOST_TEST(next.token > crashed.token);
  BOOST_TEST(wait_until([&] { return crashed.lost.load(); }));
  BOOST_TEST(!next.lost.load());
  next.release = true;
  crashed.release = true; // its unlock is refused now: the context is gone
  BOOST_TEST_REQUIRE(wait_until([&] { return next.released.load(); }));
  BOOST_TEST_REQUIRE(wait_until([&] { return crashed.failures == 1; }));
  BOOST_TEST((crashed.unlock_error == errc::shutting_down));
  BOOST_TEST(next.failures == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lock_actor_conformance)

BOOST_FIXTURE_TEST_CASE(acquire_try_acquire_release_by_message, cluster) {
  test::actor_stopper stop;
  auto id = manual_id("lt/ops");
  auto here = stop.add(spawn_lock_actor(sys, node(0), id));
  auto there = stop.add(spawn_lock_actor(sys, node(1), id));
  caf::scoped_actor a{sys}, b{sys};
  auto fail = [](const caf::error& e) {
    BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
  };
  std::uint64_t t1 = 0, t1_again = 0, busy = 1, t2 = 0;
  errc not_mine = errc::internal;
  a->request(here, 5s, lock_acquire_atom::value).receive([&](std::uint64_t t) { t1 = t; }, fail);
  a->request(here, 5s, lock_acquire_atom::value)
      .receive([&](std::uint64_t t) { t1_again = t; }, fail);
  b->request(there, 5s, lock_try_acquire_atom::value)
      .receive([&](std::uint64_t t) { busy = t; }, fail);
  b->request(here, 5s, lock_release_atom::value, t1)
      .receive([] { BOOST_ERROR("a non-holder released"); },
               [&](const caf::error& e) { not_mine = from_caf_error(e).code; });
  BOOST_TEST(t1 > 0u);
  BOOST_TEST(t1_again == t1);
  BOOST_TEST(busy == 0u);
  BOOST_TEST((not_mine == errc::not_holder));
  a->request(here, 5s, lock_release_atom::value, t1).receive([] {}, fail);
  BOOST_TEST(!node(2).try_lock(id).has_value()); // one level left
  a->request(here, 5s, lock_release_atom::value, t1).receive([] {}, fail);
  b->request(there, 5s, lock_try_acquire_atom::value)
      .receive([&](std::uint64_t t) { t2 = t; }, fail);
  BOOST_TEST(t2 > t1);
  b->request(there, 5s, lock_release_atom::value, t2).receive([] {}, fail);
  BOOST_TEST(node(2).try_lock(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_waiting_requester_is_granted_after_the_holder_goes_down, cluster) {
  auto id = manual_id("lt/down");
  std::atomic<std::uint64_t> held{0}, waited{0};
  std::atomic<int> failures{0};
  test::actor_stopper stop;
  auto here = stop.add(spawn_lock_actor(sys, node(0), id));
  auto there = stop.add(spawn_lock_actor(sys, node(1), id));
  auto holder_actor = stop.add(sys.spawn([&](caf::event_based_actor* self) -> caf::behavior {
    self->request(here, caf::infinite, lock_acquire_atom::value)
        .then([&](std::uint64_t t) { held = t; }, [&](const caf::error&) { ++failures; });
    return {[](int) {}};
  }));
  BOOST_TEST_REQUIRE(wait_until([&] { return held != 0; }));
  stop.add(sys.spawn([&](caf::event_based_actor* self) {
    self->request(there, caf::infinite, lock_acquire_atom::value)
        .then(
            [&, self](std::uint64_t t) {
              waited = t;
              self->request(there, 5s, lock_release_atom::value, t)
                  .then([] {}, [&](const caf::error&) { ++failures; });
            },
            [&](const caf::error&) { ++failures; });
  }));
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(waited == 0u); // the holder is alive and holds it
  caf::anon_send_exit(holder_actor, caf::exit_reason::user_shutdown);
  BOOST_TEST_REQUIRE(wait_until([&] { return waited != 0; }));
  BOOST_TEST(waited > held);
  BOOST_TEST(wait_until([&] { return node(2).try_lock(id).has_value(); }));
  BOOST_TEST(failures == 0);
}

BOOST_FIXTURE_TEST_CASE(the_holder_hears_of_a_lost_lock, cluster) {
  test::actor_stopper stop;
  auto id = manual_id("lt/lost");
  auto here = stop.add(spawn_lock_actor(sys, node(0), id));
  caf::scoped_actor client{sys};
  std::uint64_t token = 0;
  client->request(here, 5s, lock_acquire_atom::value)
      .receive([&](std::uint64_t t) { token = t; },
               [](const caf::error& e) {
                 BOOST_ERROR("unexpected: " << from_caf_error(e).to_string());
               });
  BOOST_TEST_REQUIRE(token > 0u);
  node(0).abandon();
  std::string lost_id;
  std::uint64_t lost_token = 0;
  client->receive(
      [&](lock_lost_atom, const std::string& which, std::uint64_t t) {
        lost_id = which;
        lost_token = t;
      },
      caf::after(20s) >> [] { BOOST_ERROR("no lock_lost message"); });
  BOOST_TEST(lost_id == "lt/lost");
  BOOST_TEST(lost_token == token);
  BOOST_TEST(node(1).try_lock(id).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
