// The backend seam's contract (dref/backends/seam/backend_actor.hpp), held
// against each backend directly: where a watch starts.

#include "cluster_fixture.hpp"
#include "dref/detail/backend_of.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

// The events of one id the scoped actor receives within `wait`.
std::vector<protocol::store_event> events_within(caf::scoped_actor& self,
                                                 std::chrono::milliseconds wait) {
  std::vector<protocol::store_event> out;
  bool more = true;
  while (more)
    self->receive([&](protocol::store_event& e) { out.push_back(std::move(e)); },
                  caf::after(wait) >> [&] { more = false; });
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(seam_conformance)

// The answer to a watch is the revision it starts after: every write
// acknowledged before the watch is at or below it, the next write above it,
// and only writes above it reach the watcher, each once, in order.
BOOST_FIXTURE_TEST_CASE(a_watch_starts_after_the_revision_it_answers, cluster) {
  auto r = node(0).make<int>(1, manual_id("c/seam-watch-start"));
  auto before = r.set(2);
  auto backend = detail::backend_of(node(1));
  caf::scoped_actor self{sys};
  std::uint64_t start = 0;
  bool answered = false;
  self->request(backend, 10s, backend::watch_atom::value, std::string{"c/seam-watch-start"},
                caf::actor_cast<caf::actor>(self))
      .receive(
          [&](std::uint64_t answer) {
            start = answer;
            answered = true;
          },
          [&](caf::error& err) { BOOST_FAIL("watch failed: " << sys.render(err)); });
  BOOST_TEST_REQUIRE(answered);
  BOOST_TEST(start >= before);
  auto third = r.set(3);
  auto fourth = r.set(4);
  BOOST_TEST(third > start);
  auto seen = events_within(self, 1500ms);
  std::vector<std::uint64_t> versions;
  for (const auto& e : seen)
    if (e.kind == protocol::event_kind::value_written)
      versions.push_back(e.new_version);
  BOOST_TEST(versions == (std::vector<std::uint64_t>{third, fourth}),
             boost::test_tools::per_element());
  for (const auto& e : seen)
    BOOST_TEST(e.new_version > start);
  self->send(backend, backend::unwatch_atom::value, std::string{"c/seam-watch-start"},
             caf::actor_cast<caf::actor>(self));
}

BOOST_AUTO_TEST_SUITE_END()
