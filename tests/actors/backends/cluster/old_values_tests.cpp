// old_values: a remote watcher gets each large old value once per watch and
// id, and every watcher downstream still sees the events the store emitted.

#include "dref/backends/seam/old_values.hpp"
#include "dref/store/delta.hpp"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

using dref::backend::held_old_values;
using dref::backend::unsent_old_values;
using dref::protocol::event_kind;
using dref::protocol::payload_kind;
using dref::protocol::store_event;

namespace {

// A value of `size` bytes whose byte at `at` is `mark`.
std::string value_of(std::size_t size, std::size_t at = 0, char mark = 'x') {
  std::string v(size, 'a');
  for (std::size_t i = 0; i < size; ++i)
    v[i] = static_cast<char>('a' + (i * 7) % 26);
  v[at] = mark;
  return v;
}

store_event created(const std::string& id, std::uint64_t version, std::string value) {
  store_event e;
  e.kind = event_kind::value_created;
  e.id = id;
  e.new_version = version;
  e.payload_type = payload_kind::full;
  e.payload = std::move(value);
  return e;
}

// A write as the store emits it: a delta when smaller, and the old value.
store_event written(const std::string& id, std::uint64_t from, std::uint64_t to,
                    const std::string& old, std::string now) {
  store_event e;
  e.kind = event_kind::value_written;
  e.id = id;
  e.old_version = from;
  e.new_version = to;
  auto delta = dref::store::encode_delta(old, now);
  if (delta.size() < now.size()) {
    e.payload_type = payload_kind::delta;
    e.payload = std::move(delta);
  } else {
    e.payload_type = payload_kind::full;
    e.payload = std::move(now);
  }
  e.old_value = old;
  return e;
}

store_event removed(const std::string& id, std::uint64_t from, std::uint64_t to, std::string old) {
  store_event e;
  e.kind = event_kind::value_removed;
  e.id = id;
  e.old_version = from;
  e.new_version = to;
  e.old_value = std::move(old);
  return e;
}

// Both ends of one watch; returns what the watcher downstream gets, and how
// many old values crossed.
struct wire {
  unsent_old_values sender;
  held_old_values receiver;
  int old_values_sent = 0;

  store_event pass(store_event e) {
    sender.thin(e);
    if (e.old_value)
      ++old_values_sent;
    receiver.restore(e);
    return e;
  }
};

// The new value an event gives, built as a watcher does.
std::string new_value(const store_event& e) {
  if (e.payload_type == payload_kind::full)
    return e.payload;
  BOOST_REQUIRE(e.old_value);
  return dref::store::apply_delta(*e.old_value, e.payload, SIZE_MAX).value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(old_values_part)

BOOST_AUTO_TEST_CASE(a_large_old_value_crosses_once_and_every_event_arrives_whole) {
  wire w;
  std::vector<std::string> values{value_of(100000)};
  auto first = w.pass(created("k", 5, values[0]));
  BOOST_TEST(first.payload == values[0]);
  for (std::uint64_t v = 6; v < 12; ++v) {
    values.push_back(value_of(100000, v * 100, static_cast<char>('A' + v)));
    auto sent = written("k", v - 1, v, values[values.size() - 2], values.back());
    BOOST_TEST((sent.payload_type == payload_kind::delta));
    auto got = w.pass(sent);
    BOOST_REQUIRE(got.old_value);
    BOOST_TEST(*got.old_value == values[values.size() - 2]);
    BOOST_TEST(new_value(got) == values.back());
  }
  BOOST_TEST(w.old_values_sent == 0); // created carries none, and no write had to
  auto gone = w.pass(removed("k", 11, 12, values.back()));
  BOOST_REQUIRE(gone.old_value);
  BOOST_TEST(*gone.old_value == values.back());
  BOOST_TEST(w.receiver.bytes_held() == 0u);
  BOOST_TEST(w.sender.ids() == 0u);
}

BOOST_AUTO_TEST_CASE(small_values_travel_with_their_events) {
  wire w;
  w.pass(created("k", 1, "one"));
  auto got = w.pass(written("k", 1, 2, "one", "two"));
  BOOST_TEST(w.old_values_sent == 1);
  BOOST_TEST(*got.old_value == "one");
  BOOST_TEST(w.receiver.bytes_held() == 0u);
}

BOOST_AUTO_TEST_CASE(a_new_watch_starts_over_for_the_ids_it_covers) {
  wire w;
  auto a = value_of(5000), b = value_of(5000, 1, 'B');
  w.pass(created("ks/a", 1, a));
  w.pass(created("other", 2, a));
  w.sender.restart("ks/*");
  w.pass(written("ks/a", 1, 3, a, b));
  BOOST_TEST(w.old_values_sent == 1); // its watch began again: sent whole
  w.pass(written("other", 2, 4, a, b));
  BOOST_TEST(w.old_values_sent == 1); // not covered: still thinned
  w.sender.restart("other");
  w.pass(written("other", 4, 5, b, a));
  BOOST_TEST(w.old_values_sent == 2);
}

BOOST_AUTO_TEST_CASE(a_metadata_change_keeps_the_value_held) {
  wire w;
  auto a = value_of(5000), b = value_of(5000, 9, 'M');
  w.pass(created("k", 1, a));
  store_event meta;
  meta.kind = event_kind::metadata_changed;
  meta.id = "k";
  meta.old_version = 1;
  meta.new_version = 2;
  w.pass(meta);
  auto got = w.pass(written("k", 2, 3, a, b));
  BOOST_TEST(w.old_values_sent == 0);
  BOOST_TEST(new_value(got) == b);
}

BOOST_AUTO_TEST_CASE(an_event_the_receiver_missed_is_never_restored_from_the_wrong_version) {
  wire w;
  auto a = value_of(5000), b = value_of(5000, 3, 'B'), c = value_of(5000, 4, 'C');
  w.pass(created("k", 1, a));
  auto lost = written("k", 1, 2, a, b);
  w.sender.thin(lost); // sent, but never reached the receiver
  auto next = written("k", 2, 3, b, c);
  w.sender.thin(next);
  BOOST_TEST(!next.old_value); // the sender believes the watcher has b
  w.receiver.restore(next);
  BOOST_TEST(!next.old_value); // it holds a (version 1): nothing put back
  BOOST_TEST((next.payload_type == payload_kind::delta));
}

BOOST_AUTO_TEST_SUITE_END()
