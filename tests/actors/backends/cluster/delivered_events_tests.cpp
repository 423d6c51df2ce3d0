// delivered_events: after a failover a watcher gets nothing twice.

#include "delivered_events.hpp"

#include <boost/test/unit_test.hpp>

using dref::backend::delivered_events;
using dref::protocol::event_kind;
using dref::protocol::store_event;

namespace {

store_event value_event(std::uint64_t revision, event_kind kind = event_kind::value_written) {
  store_event e;
  e.kind = kind;
  e.id = "k";
  e.new_version = revision;
  return e;
}

store_event topic_event(std::uint64_t seq) {
  store_event e;
  e.kind = event_kind::topic_published;
  e.id = "t";
  e.new_version = seq;
  e.number = seq;
  return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(delivered_events_part)

BOOST_AUTO_TEST_CASE(nothing_at_or_below_the_watch_start_or_delivered_passes_again) {
  delivered_events d{10};
  BOOST_TEST(!d.admit(value_event(10)));
  BOOST_TEST(d.admit(value_event(11)));
  BOOST_TEST(d.admit(value_event(15)));
  // The new member replays or catches up on what the watcher had.
  BOOST_TEST(!d.admit(value_event(11)));
  BOOST_TEST(!d.admit(value_event(15, event_kind::value_caught_up)));
  BOOST_TEST(d.admit(value_event(16, event_kind::value_caught_up)));
  BOOST_TEST(d.revision() == 16u);
}

// A lock released and granted to the next waiter in one entry: two events
// at one revision, both new; either one again is not.
BOOST_AUTO_TEST_CASE(two_events_of_one_entry_both_pass_once) {
  delivered_events d{5};
  auto released = value_event(9, event_kind::lock_released);
  released.session = "a";
  released.number = 7;
  auto granted = value_event(9, event_kind::lock_granted);
  granted.session = "b";
  granted.number = 9;
  BOOST_TEST(d.admit(released));
  BOOST_TEST(d.admit(granted));
  BOOST_TEST(!d.admit(released));
  BOOST_TEST(!d.admit(granted));
  BOOST_TEST(!d.admit(value_event(9, event_kind::value_caught_up)));
  BOOST_TEST(d.admit(value_event(10)));
}

BOOST_AUTO_TEST_CASE(topic_messages_count_by_seq_not_revision) {
  delivered_events d{1000};
  BOOST_TEST(d.admit(topic_event(3))); // seqs are far below revisions
  BOOST_TEST(!d.admit(topic_event(3)));
  BOOST_TEST(d.admit(topic_event(4)));
  BOOST_TEST(*d.topic_seen() == 4u);
}

BOOST_AUTO_TEST_CASE(the_topic_start_read_after_the_watch_counts_as_delivered) {
  delivered_events d{5};
  BOOST_TEST(!d.topic_seen());
  d.learn_topic_start(8); // messages 1..7 existed before the watch
  BOOST_TEST(*d.topic_seen() == 7u);
  BOOST_TEST(!d.admit(topic_event(7)));
  BOOST_TEST(d.admit(topic_event(8)));
  d.learn_topic_start(3); // never backwards
  BOOST_TEST(*d.topic_seen() == 8u);
}

BOOST_AUTO_TEST_CASE(catch_up_events_without_a_revision_always_pass) {
  delivered_events d{5};
  auto granted = value_event(0, event_kind::lock_granted);
  BOOST_TEST(d.admit(granted));
  BOOST_TEST(d.admit(granted));
  BOOST_TEST(d.revision() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
