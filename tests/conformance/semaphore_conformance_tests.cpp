// Semaphores and read/write locks on every backend: permits shared across
// nodes up to the limit, strictly first in first out (a small request never
// passes a large one that waits), tokens that grow with the line, a holder
// that crashes loses its permits to the next in line and is told, a wait
// that runs out leaves the line, and the same from actors.

#include "actor_client.hpp"
#include "cluster_fixture.hpp"
#include "dref/semaphore.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <mutex>
#include <optional>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

} // namespace

BOOST_AUTO_TEST_SUITE(semaphore_conformance)

BOOST_FIXTURE_TEST_CASE(permits_are_shared_first_in_first_out, cluster) {
  auto id = manual_id("sem/fifo");
  auto mine = semaphore::make(node(0), id, 3);
  auto theirs = semaphore::make(node(1), id, 99); // joins with the limit it has
  BOOST_TEST(theirs.limit() == 3);
  BOOST_TEST(mine.available() == 3);
  auto two = mine.acquire(2);
  BOOST_TEST(theirs.available() == 1);
  // A request for 2 does not fit and waits; one for 1 would fit, but comes
  // after it and waits too.
  auto large = std::async(std::launch::async, [&] { return theirs.try_acquire(2, 60s); });
  BOOST_TEST_REQUIRE(test::wait_until([&] {
    return node(2).list("sem/fifo/").ids.size() == 2; // both requests in line
  }));
  auto third = semaphore::make(node(2), id, 3);
  BOOST_TEST(!third.try_acquire(1, 300ms).has_value());
  BOOST_TEST(node(2).list("sem/fifo/").ids.size() == 2); // the timed-out request left
  auto small = std::async(std::launch::async, [&] { return third.try_acquire(1, 60s); });
  BOOST_TEST_REQUIRE(test::wait_until([&] { return node(0).list("sem/fifo/").ids.size() == 3; }));
  BOOST_TEST((large.wait_for(200ms) == std::future_status::timeout));
  BOOST_TEST((small.wait_for(0ms) == std::future_status::timeout));
  auto first_token = two.fencing_token();
  two.release();
  auto got_large = large.get();
  auto got_small = small.get();
  BOOST_TEST_REQUIRE(got_large.has_value());
  BOOST_TEST_REQUIRE(got_small.has_value());
  BOOST_TEST(got_large->permits() == 2);
  BOOST_TEST(got_large->fencing_token() > first_token);
  BOOST_TEST(got_small->fencing_token() > got_large->fencing_token());
  BOOST_TEST(mine.available() == 0);
  got_large->release();
  got_small->release();
  BOOST_TEST(mine.available() == 3);
  BOOST_TEST(node(0).list("sem/fifo/").ids.empty());
}

BOOST_FIXTURE_TEST_CASE(bad_limits_and_requests_are_refused, cluster) {
  auto refused = [](auto f) {
    try {
      f();
    } catch (const error_exception& e) {
      return e.error().code == errc::invalid_argument;
    }
    return false;
  };
  BOOST_TEST(refused([&] { (void)semaphore::make(node(0), manual_id("sem/bad"), 0); }));
  auto s = semaphore::make(node(0), manual_id("sem/bad"), 2);
  BOOST_TEST(refused([&] { (void)s.acquire(0); }));
  BOOST_TEST(refused([&] { (void)s.acquire(3); }));
  BOOST_TEST(refused([&] { (void)s.try_acquire(-1, 0ms); }));
  BOOST_TEST(s.available() == 2); // nothing was written
  BOOST_TEST(node(1).list("sem/bad/").ids.empty());
}

BOOST_FIXTURE_TEST_CASE(a_crashed_holders_permits_pass_on_and_it_is_told, cluster) {
  auto id = manual_id("sem/crash");
  std::atomic<bool> told{false};
  auto doomed = semaphore::make(node(1), id, 2).acquire(2);
  doomed.on_lost([&] { told = true; });
  node(1).abandon(); // stops renewing its session, releases nothing
  auto next = semaphore::make(node(0), id, 2).try_acquire(1, 20s);
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST(next->fencing_token() > doomed.fencing_token());
  BOOST_TEST(test::wait_until([&] { return told.load(); }));
  BOOST_TEST(doomed.lost());
}

BOOST_FIXTURE_TEST_CASE(shutdown_gives_the_permits_back, cluster) {
  auto id = manual_id("sem/shutdown");
  auto held = semaphore::make(node(2), id, 1).acquire();
  node(2).shutdown();
  BOOST_TEST(semaphore::make(node(0), id, 1).try_acquire(1, 0ms).has_value());
}

BOOST_FIXTURE_TEST_CASE(readers_share_and_a_waiting_writer_goes_before_later_readers, cluster) {
  auto id = manual_id("rw/doc");
  auto lock = read_write_lock::make(node(0), id);
  auto reader_one = lock.read_lock();
  auto reader_two = read_write_lock::make(node(1), id).read_lock(); // shared
  auto writer = std::async(std::launch::async,
                           [&] { return read_write_lock::make(node(2), id).try_write_lock(60s); });
  BOOST_TEST_REQUIRE(test::wait_until([&] { return node(0).list("rw/doc/").ids.size() == 3; }));
  // A reader after the waiting writer waits for it.
  BOOST_TEST(!read_write_lock::make(node(1), id).try_read_lock(300ms).has_value());
  BOOST_TEST((writer.wait_for(0ms) == std::future_status::timeout));
  reader_one.release();
  BOOST_TEST((writer.wait_for(200ms) == std::future_status::timeout)); // one reader left
  auto reader_token = reader_two.fencing_token();
  reader_two.release();
  auto written = writer.get();
  BOOST_TEST_REQUIRE(written.has_value());
  BOOST_TEST(written->fencing_token() > reader_token);
  BOOST_TEST(!lock.try_read_lock(0ms).has_value()); // the writer excludes readers
  auto after = std::async(std::launch::async, [&] { return lock.try_read_lock(60s); });
  auto writer_token = written->fencing_token();
  written->release();
  auto later_reader = after.get();
  BOOST_TEST_REQUIRE(later_reader.has_value());
  BOOST_TEST(later_reader->fencing_token() > writer_token);
}

BOOST_FIXTURE_TEST_CASE(acquire_release_and_crash_from_actors, cluster) {
  auto id = manual_id("sem/actors");
  auto mine = semaphore::make(node(0), id, 1);
  auto theirs = semaphore::make(node(1), id, 1);
  std::mutex failure_mutex;
  std::optional<error> failure;
  auto fail = [&](const error& e) {
    std::lock_guard guard{failure_mutex};
    failure = e;
  };
  auto failed = [&] {
    std::lock_guard guard{failure_mutex};
    return failure.has_value();
  };
  std::atomic<std::uint64_t> first_token{0};
  std::atomic<bool> timed_out{false};
  std::atomic<std::uint64_t> second_token{0};
  std::atomic<bool> second_lost{false};
  test::actor_stopper stopper;
  // The first holds, and a second actor's short wait runs out meanwhile.
  stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
    mine.acquire(self).then(
        [&, self, finish](std::optional<semaphore_grant> grant) {
          if (!grant)
            return fail(error{errc::internal, "not granted"}), finish();
          first_token = grant->fencing_token;
          auto held = *grant;
          self->delayed_send(self, 500ms, 0);
          self->become([&, self, finish, held](int) {
            mine.release(self, held)
                .then([finish] { finish(); }, [&, finish](const error& e) { fail(e), finish(); });
          });
        },
        [&, finish](const error& e) { fail(e), finish(); });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return first_token.load() != 0; }));
  stopper.add(test::spawn_client(sys, [&](caf::event_based_actor* self, auto finish) {
    theirs.acquire(self, 1, 100ms)
        .then(
            [&, self, finish](std::optional<semaphore_grant> grant) {
              if (grant)
                return fail(error{errc::internal, "granted while held"}), finish();
              timed_out = true;
              // Then waits its turn, and holds until its node crashes.
              theirs.acquire(self, 1, std::nullopt, [&] { second_lost = true; })
                  .then(
                      [&](std::optional<semaphore_grant> next) {
                        if (next)
                          second_token = next->fencing_token;
                      },
                      [&, finish](const error& e) { fail(e), finish(); });
            },
            [&, finish](const error& e) { fail(e), finish(); });
  }));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return second_token.load() != 0 || failed(); }));
  BOOST_TEST(timed_out.load());
  BOOST_TEST(second_token.load() > first_token.load());
  node(1).abandon();
  auto after_crash = mine.try_acquire(1, 20s);
  BOOST_TEST(after_crash.has_value());
  BOOST_TEST(test::wait_until([&] { return second_lost.load(); }));
  std::lock_guard guard{failure_mutex};
  BOOST_TEST(!failure.has_value(), (failure ? failure->message : std::string{}));
}

BOOST_AUTO_TEST_SUITE_END()
