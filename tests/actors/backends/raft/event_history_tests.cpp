// event_history: a watcher resumes here without a gap, or is told it cannot.

#include "event_history.hpp"

#include <boost/test/unit_test.hpp>

using dref::protocol::event_kind;
using dref::protocol::store_event;
using dref::raft::node::event_history;

namespace {

store_event written(std::string id, std::uint64_t revision, std::size_t payload = 0) {
  store_event e;
  e.kind = event_kind::value_written;
  e.id = std::move(id);
  e.new_version = revision;
  e.payload.assign(payload, 'x');
  return e;
}

std::vector<std::uint64_t> revisions(const std::vector<store_event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events)
    out.push_back(e.new_version);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_history_part)

BOOST_AUTO_TEST_CASE(a_resume_gets_the_ids_events_after_its_revision_in_order) {
  event_history h;
  for (std::uint64_t r = 1; r <= 6; ++r)
    h.append(r, {written(r % 2 ? "a" : "b", r)});
  auto a = h.since("a", 1);
  BOOST_REQUIRE(a);
  BOOST_TEST(revisions(*a) == (std::vector<std::uint64_t>{3, 5}));
  auto all = h.since("*", 4);
  BOOST_REQUIRE(all);
  BOOST_TEST(revisions(*all) == (std::vector<std::uint64_t>{5, 6}));
  // A prefix watch gets the events of the ids under it, never those of
  // dref's own records.
  h.append(7, {written("ab", 7)});
  h.append(8, {written("dref/members/x", 8)});
  auto under_a = h.since("a*", 1);
  BOOST_REQUIRE(under_a);
  BOOST_TEST(revisions(*under_a) == (std::vector<std::uint64_t>{3, 5, 7}));
  BOOST_TEST(revisions(*h.since("d*", 0)).empty());
  BOOST_TEST(revisions(*h.since("*", 6)) == (std::vector<std::uint64_t>{7}));
  // A watcher ahead of this member (it lags) gets nothing yet.
  BOOST_TEST(h.since("a", 9)->empty());
  BOOST_TEST(h.since("a*", 9)->empty());
}

BOOST_AUTO_TEST_CASE(the_oldest_revisions_go_whole_and_a_resume_before_them_is_refused) {
  event_history h{4, 1u << 20};
  h.append(1, {written("a", 1), written("b", 1)});
  h.append(2, {written("a", 2), written("b", 2)});
  h.append(3, {written("a", 3)}); // 5 events: revision 1 goes, both of its events
  BOOST_TEST(h.size() == 3u);
  BOOST_TEST(h.floor() == 1u);
  BOOST_TEST(!h.since("a", 0).has_value());
  BOOST_TEST(revisions(*h.since("a", 1)) == (std::vector<std::uint64_t>{2, 3}));
}

BOOST_AUTO_TEST_CASE(bytes_are_bounded_too) {
  event_history h{1000, 10'000};
  for (std::uint64_t r = 1; r <= 10; ++r)
    h.append(r, {written("a", r, 3000)});
  BOOST_TEST(h.bytes() <= 10'000u);
  BOOST_TEST(h.floor() > 0u);
  BOOST_TEST(!h.since("a", h.floor() - 1).has_value());
  BOOST_TEST(h.since("a", h.floor()).has_value());
}

BOOST_AUTO_TEST_CASE(a_snapshot_install_forgets_everything_before_it) {
  event_history h;
  h.append(1, {written("a", 1)});
  h.forget_all(50);
  BOOST_TEST(!h.since("a", 1).has_value());
  BOOST_TEST(h.since("a", 50)->empty());
  h.append(51, {written("a", 51)});
  BOOST_TEST(revisions(*h.since("a", 50)) == (std::vector<std::uint64_t>{51}));
}

BOOST_AUTO_TEST_SUITE_END()
