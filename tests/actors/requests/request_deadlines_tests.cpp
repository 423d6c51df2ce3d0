// request_deadlines: a request nobody answers gets CAF's timeout error in
// its own handler, within the granularity; an answered one gets nothing
// more, and its deadline does not stay kept for long.

#include "dref/requests/request_deadlines.hpp"
#include "dref/requests/request_from.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace dref::detail;
using namespace std::chrono_literals;

namespace {

using ask_atom = caf::atom_constant<caf::atom("task")>;

// What the asking actor's handlers saw, and when.
struct outcomes {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> seen;
  std::chrono::steady_clock::time_point last;

  void record(std::string what) {
    std::lock_guard lock{mutex};
    seen.push_back(std::move(what));
    last = std::chrono::steady_clock::now();
    changed.notify_all();
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds wait) {
    std::unique_lock lock{mutex};
    return changed.wait_for(lock, wait, [&] { return seen.size() >= count; });
  }
};

// Asks dest once, timed by deadlines, and stays alive.
caf::behavior asker(caf::event_based_actor* self, caf::actor dest, request_deadlines* deadlines,
                    std::chrono::milliseconds timeout, outcomes* out) {
  auto flag = request_deadlines::new_flag();
  auto id = request_from(
      self, dest, caf::infinite, caf::make_message(ask_atom::value),
      [flag, out](int) {
        request_deadlines::answered(flag);
        out->record("answer");
      },
      [flag, out](caf::error& err) {
        request_deadlines::answered(flag);
        out->record(err == caf::sec::request_timeout ? "timeout" : caf::to_string(err));
      });
  deadlines->add(self, id, timeout, flag);
  return {[](int) {}};
}

caf::behavior silent(caf::event_based_actor* self) {
  return {[self](ask_atom) { return self->make_response_promise<int>(); }};
}

caf::behavior answering(caf::event_based_actor*) {
  return {[](ask_atom) { return 42; }};
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  request_deadlines deadlines{20ms};
  outcomes out;
  std::vector<caf::actor> spawned;

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(request_deadlines_suite, fixture)

BOOST_AUTO_TEST_CASE(an_unanswered_request_times_out_in_its_own_handler) {
  auto dest = spawned.emplace_back(sys.spawn(silent));
  auto asked = std::chrono::steady_clock::now();
  spawned.push_back(sys.spawn(asker, dest, &deadlines, 200ms, &out));
  BOOST_REQUIRE(out.wait_for(1, 5s));
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock{out.mutex};
  BOOST_TEST((out.seen == std::vector<std::string>{"timeout"}));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(out.last - asked).count();
  BOOST_TEST(took >= 200);
  BOOST_TEST(took < 1000);
  BOOST_TEST(deadlines.timeouts_sent() == 1u);
}

BOOST_AUTO_TEST_CASE(an_answered_request_gets_no_timeout) {
  auto dest = spawned.emplace_back(sys.spawn(answering));
  spawned.push_back(sys.spawn(asker, dest, &deadlines, 100ms, &out));
  BOOST_REQUIRE(out.wait_for(1, 5s));
  std::this_thread::sleep_for(300ms); // past the deadline
  std::lock_guard lock{out.mutex};
  BOOST_TEST((out.seen == std::vector<std::string>{"answer"}));
  BOOST_TEST(deadlines.timeouts_sent() == 0u);
}

BOOST_AUTO_TEST_CASE(answered_deadlines_are_not_kept_for_long) {
  auto dest = spawned.emplace_back(sys.spawn(answering));
  // Two rounds of answered requests with deadlines far away: by the second
  // round's adds, the first round's deadlines are dropped.
  constexpr std::size_t per_round = 3000;
  for (std::size_t round = 1; round <= 2; ++round) {
    for (std::size_t i = 0; i < per_round; ++i)
      spawned.push_back(sys.spawn(asker, dest, &deadlines, 60000ms, &out));
    BOOST_REQUIRE(out.wait_for(round * per_round, 30s));
  }
  BOOST_TEST(deadlines.kept() < 2 * per_round);
  BOOST_TEST(deadlines.timeouts_sent() == 0u);
}

// A blocking actor (the context's blocking calls): its receive() of the
// response gets the timeout, and then the next request's answer.
BOOST_AUTO_TEST_CASE(a_blocking_actors_unanswered_request_times_out_in_its_receive) {
  auto quiet = spawned.emplace_back(sys.spawn(silent));
  auto talking = spawned.emplace_back(sys.spawn(answering));
  caf::scoped_actor self{sys};
  auto ask = [&](const caf::actor& dest) {
    std::string seen = "nothing";
    auto flag = request_deadlines::new_flag();
    auto handle = self->request(dest, caf::infinite, ask_atom::value);
    deadlines.add(self.ptr(), handle.id(), 200ms, flag);
    handle.receive(
        [&](int) {
          request_deadlines::answered(flag);
          seen = "answer";
        },
        [&](caf::error& err) {
          request_deadlines::answered(flag);
          seen = err == caf::sec::request_timeout ? "timeout" : caf::to_string(err);
        });
    return seen;
  };
  auto asked = std::chrono::steady_clock::now();
  BOOST_TEST(ask(quiet) == "timeout");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - asked)
                  .count();
  BOOST_TEST(took >= 200);
  BOOST_TEST(took < 1000);
  BOOST_TEST(ask(talking) == "answer");
  BOOST_TEST(deadlines.timeouts_sent() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
