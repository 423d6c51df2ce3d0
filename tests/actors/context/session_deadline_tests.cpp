// The client's own session deadline (actors/context/session_deadline.hpp):
// when a loss is reported, what moves the deadline, and that listeners are
// told once. Time is passed in; only the test of a call under way on
// another thread waits (20 ms) for what must not happen.
#include "session_deadline.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <thread>

using dref::detail::session_deadline;
using namespace std::chrono_literals;

namespace {

const session_deadline::clock::time_point t0{std::chrono::seconds{1000}};

} // namespace

BOOST_AUTO_TEST_SUITE(session_deadline_tests)

BOOST_AUTO_TEST_CASE(the_margin_is_a_tenth_of_the_ttl_at_most_100ms) {
  BOOST_TEST(session_deadline::margin_for(200ms).count() == 20);
  BOOST_TEST(session_deadline::margin_for(1s).count() == 100);
  BOOST_TEST(session_deadline::margin_for(30s).count() == 100);
}

BOOST_AUTO_TEST_CASE(an_open_session_lapses_one_ttl_less_the_margin_after_the_open_was_sent) {
  session_deadline life{"s", 1s, t0};
  BOOST_TEST((life.deadline() == t0 + 900ms));
  BOOST_TEST(!life.lapsed(t0 + 899ms));
  BOOST_TEST(life.lapsed(t0 + 900ms));
  BOOST_TEST(!life.check(t0 + 899ms));
  BOOST_TEST(life.check(t0 + 900ms));
}

BOOST_AUTO_TEST_CASE(a_renewal_counts_from_when_it_was_sent_not_when_answered) {
  session_deadline life{"s", 1s, t0};
  BOOST_TEST(life.acknowledged(t0 + 300ms, t0 + 800ms));
  BOOST_TEST((life.deadline() == t0 + 1200ms));
  BOOST_TEST(!life.lapsed(t0 + 1199ms));
  BOOST_TEST(life.lapsed(t0 + 1200ms));
}

BOOST_AUTO_TEST_CASE(an_older_renewal_answered_late_never_moves_the_deadline_back) {
  session_deadline life{"s", 1s, t0};
  BOOST_TEST(life.acknowledged(t0 + 500ms, t0 + 600ms));
  BOOST_TEST(life.acknowledged(t0 + 200ms, t0 + 700ms));
  BOOST_TEST((life.deadline() == t0 + 1400ms));
}

BOOST_AUTO_TEST_CASE(an_answer_read_after_the_deadline_lapses_the_session_for_good) {
  // The process was paused (SIGSTOP) with the answer in its mailbox: the
  // cluster may have expired the session meanwhile, whatever it said then.
  session_deadline life{"s", 1s, t0};
  int told = 0;
  life.listen([&] { ++told; });
  BOOST_TEST(!life.acknowledged(t0 + 500ms, t0 + 950ms));
  BOOST_TEST(told == 1);
  BOOST_TEST(life.lapsed(t0 + 950ms));
  BOOST_TEST(!life.acknowledged(t0 + 960ms, t0 + 970ms)); // not revived
  BOOST_TEST(life.lapsed(t0 + 970ms));
  BOOST_TEST(told == 1);
}

BOOST_AUTO_TEST_CASE(listeners_are_told_once_and_late_ones_at_once) {
  session_deadline life{"s", 1s, t0};
  int a = 0, b = 0, late = 0;
  life.listen([&] { ++a; });
  life.listen([&] { ++b; });
  BOOST_TEST(!life.check(t0 + 100ms));
  BOOST_TEST((a == 0 && b == 0));
  BOOST_TEST(life.check(t0 + 2s));
  BOOST_TEST(life.check(t0 + 3s));
  life.lapse();
  BOOST_TEST((a == 1 && b == 1));
  BOOST_TEST(life.listen([&] { ++late; }) == 0u);
  BOOST_TEST(late == 1);
}

BOOST_AUTO_TEST_CASE(the_cluster_saying_the_session_is_gone_lapses_it_at_once) {
  session_deadline life{"s", 1s, t0};
  int told = 0;
  life.listen([&] { ++told; });
  life.lapse();
  BOOST_TEST(told == 1);
  BOOST_TEST(life.lapsed(t0));
}

BOOST_AUTO_TEST_CASE(a_forgotten_listener_is_not_told) {
  session_deadline life{"s", 1s, t0};
  int kept = 0, dropped = 0;
  life.listen([&] { ++kept; });
  auto handle = life.listen([&] { ++dropped; });
  life.forget(handle);
  life.forget(handle); // twice: harmless
  life.lapse();
  BOOST_TEST(kept == 1);
  BOOST_TEST(dropped == 0);
}

BOOST_AUTO_TEST_CASE(forgetting_what_listen_called_at_once_returns_at_once) {
  session_deadline life{"s", 1s, t0};
  life.lapse();
  int told = 0;
  auto handle = life.listen([&] { ++told; });
  BOOST_TEST(told == 1);
  life.forget(handle); // would wait for a call that is never under way
  life.forget(handle);
}

BOOST_AUTO_TEST_CASE(a_retired_session_drops_its_listeners_without_telling_them) {
  // Closed by the context (shutdown): its locks were released, not lost.
  session_deadline life{"s", 1s, t0};
  int told = 0;
  life.listen([&] { ++told; });
  life.retire();
  BOOST_TEST(!life.check(t0 + 5s));
  life.lapse();
  BOOST_TEST(told == 0);
  BOOST_TEST(!life.lapsed(t0 + 5s));
  BOOST_TEST(life.listen([&] { ++told; }) == 0u);
  BOOST_TEST(told == 0);
}

BOOST_AUTO_TEST_CASE(a_listener_may_forget_itself_and_others_while_told) {
  session_deadline life{"s", 1s, t0};
  std::uint64_t self = 0, other = 0;
  int told = 0;
  self = life.listen([&] {
    ++told;
    life.forget(self);
    life.forget(other);
  });
  other = life.listen([&] { ++told; });
  life.lapse();
  BOOST_TEST(told == 1);
}

BOOST_AUTO_TEST_CASE(forget_waits_for_a_call_under_way_on_another_thread) {
  session_deadline life{"s", 1s, t0};
  std::promise<void> entered, proceed;
  auto go = proceed.get_future().share();
  std::atomic<bool> returned{false};
  auto handle = life.listen([&] {
    entered.set_value();
    go.wait();
    returned = true;
  });
  std::thread firing{[&] { life.lapse(); }};
  entered.get_future().wait();
  std::atomic<bool> forgotten{false};
  std::atomic<bool> call_over_when_forgotten{false};
  std::thread forgetting{[&] {
    life.forget(handle);
    call_over_when_forgotten = returned.load();
    forgotten = true;
  }};
  std::this_thread::sleep_for(20ms); // gives a forget that does not wait time to return
  BOOST_TEST(!forgotten.load());
  proceed.set_value();
  forgetting.join();
  BOOST_TEST(call_over_when_forgotten.load());
  firing.join();
}

BOOST_AUTO_TEST_SUITE_END()
