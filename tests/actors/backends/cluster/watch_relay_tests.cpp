// watch_relay: every event the member sends the relay reaches the watcher,
// whatever order the member's answers and events arrive in.

#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "watch_relay.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using publish_atom = caf::atom_constant<caf::atom("tpublish")>;
using owed_atom = caf::atom_constant<caf::atom("towed")>;

// A member holding one topic. Each read of it first applies the messages
// published meanwhile by others (`concurrent` per read) and answers, and
// only then sends their events to the watchers: a client port's answers and
// events travel by different ways, so either may come first.
struct member_state {
  std::uint64_t next_seq = 1;
  std::uint64_t revision = 100;
  int concurrent = 0;
  std::vector<caf::actor> watchers;
  std::vector<std::uint64_t> owed; // the seqs of the events sent to a watcher
  bool silent_reads = false;
};

protocol::store_event published(std::uint64_t seq) {
  protocol::store_event e;
  e.kind = protocol::event_kind::topic_published;
  e.id = "t";
  e.old_version = seq - 1;
  e.new_version = seq;
  e.number = seq;
  e.payload = "m" + std::to_string(seq);
  return e;
}

template <class Publish>
caf::result<protocol::store_read_reply> read_topic(caf::stateful_actor<member_state>* self,
                                                   Publish publish) {
  if (self->state.silent_reads) // answered never
    return self->make_response_promise<protocol::store_read_reply>();

  std::vector<protocol::store_event> later;
  for (int i = 0; i < self->state.concurrent; ++i)
    later.push_back(publish());
  for (const auto& w : self->state.watchers)
    for (const auto& e : later) {
      self->state.owed.push_back(e.number);
      self->delayed_send(w, 50ms, e);
    }
  protocol::topic_page page;
  page.first_seq = 1;
  page.next_seq = self->state.next_seq;
  return protocol::store_read_reply{std::nullopt, page, self->state.revision};
}

caf::behavior scripted_member(caf::stateful_actor<member_state>* self, int concurrent,
                              bool silent_reads) {
  self->state.concurrent = concurrent;
  self->state.silent_reads = silent_reads;
  auto publish = [self] {
    auto e = published(self->state.next_seq++);
    ++self->state.revision;
    return e;
  };
  return {
      [self, publish](protocol::read_atom, protocol::local_atom, const protocol::store_read&) {
        return read_topic(self, publish);
      },
      [self, publish](protocol::read_atom, const protocol::store_read&) {
        return read_topic(self, publish);
      },
      [self](protocol::watch_atom, const std::string&, const caf::actor& w) {
        self->state.watchers.push_back(w);
        return self->state.revision;
      },
      [self](protocol::unwatch_atom, const std::string&, const caf::actor&) {},
      [self, publish](publish_atom) {
        auto e = publish();
        for (const auto& w : self->state.watchers) {
          self->state.owed.push_back(e.number);
          self->send(w, e);
        }
      },
      [self](owed_atom) { return self->state.owed; },
  };
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

// The seqs the watcher gets within `wait`.
std::vector<std::uint64_t> received(caf::scoped_actor& watcher, std::chrono::milliseconds wait) {
  std::vector<std::uint64_t> seqs;
  bool more = true;
  while (more)
    watcher->receive([&](const protocol::store_event& e) { seqs.push_back(e.number); },
                     caf::after(wait) >> [&] { more = false; });
  return seqs;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(watch_relay, fixture)

BOOST_AUTO_TEST_CASE(events_of_messages_published_while_the_watch_starts_all_arrive) {
  caf::scoped_actor watcher{sys};
  // Three messages are published by others around each read of the topic.
  auto member = sys.spawn(scripted_member, 3, false);
  auto relay = backend::spawn_watch_relay(sys, {"t", watcher, 2000ms, 100ms});
  watcher->request(relay, 2s, protocol::watch_atom::value, member)
      .receive([](std::uint64_t start) { BOOST_TEST(start >= 100u); },
               [&](caf::error& err) { BOOST_FAIL("watch failed: " << sys.render(err)); });
  watcher->send(member, publish_atom::value);
  watcher->send(member, publish_atom::value);
  auto got = received(watcher, 300ms);
  std::vector<std::uint64_t> owed;
  watcher->request(member, 2s, owed_atom::value)
      .receive([&](std::vector<std::uint64_t>& seqs) { owed = std::move(seqs); },
               [&](caf::error& err) { BOOST_FAIL("member: " << sys.render(err)); });
  BOOST_TEST(owed.size() >= 2u);
  BOOST_TEST(got == owed, boost::test_tools::per_element());
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
}

// ref_actor.hpp promises a watch in place before any later request is
// answered: the relay never holds the watch back for its read.
BOOST_AUTO_TEST_CASE(the_watch_goes_out_without_waiting_for_the_topic_read) {
  caf::scoped_actor watcher{sys};
  auto member = sys.spawn(scripted_member, 0, true);
  auto relay = backend::spawn_watch_relay(sys, {"t", watcher, 2000ms, 100ms});
  bool answered = false;
  watcher->request(relay, 1s, protocol::watch_atom::value, member)
      .receive([&](std::uint64_t) { answered = true; },
               [&](caf::error& err) { BOOST_ERROR("watch: " << sys.render(err)); });
  BOOST_TEST(answered);
  watcher->send(member, publish_atom::value);
  BOOST_TEST(received(watcher, 300ms) == std::vector<std::uint64_t>{1});
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
}

// A member whose history no longer reaches the revision a prefix watch had
// (a resume after `after` is refused as compacted): it lists the prefix and
// reads each value.
struct keyspace_state {
  std::vector<caf::actor> watchers;
};

caf::behavior compacted_member(caf::stateful_actor<keyspace_state>* self) {
  return {
      [](protocol::read_atom, const protocol::store_read& r) -> protocol::store_read_reply {
        if (r.kind == protocol::read_kind::list) {
          protocol::list_page page;
          page.revision = 120;
          page.ids = {{"ks/a", 110}, {"ks/gone-since", 111}};
          return {std::nullopt, page, 120};
        }
        if (r.id == "ks/a")
          return {std::nullopt, protocol::value_state{"A", 110, {}, {}}, 120};
        return {dref::error{errc::not_found, "removed after the listing"}, {}, 120};
      },
      [self](protocol::watch_atom, const std::string&, const caf::actor& w) -> std::uint64_t {
        self->state.watchers.push_back(w);
        return 120;
      },
      [](protocol::watch_atom, const std::string&, const caf::actor&,
         std::uint64_t) -> caf::result<std::uint64_t> {
        return to_caf_error(dref::error{errc::compacted, "not kept here"});
      },
      [](protocol::unwatch_atom, const std::string&, const caf::actor&) {},
  };
}

caf::behavior first_member(caf::event_based_actor* self) {
  return {
      [self](protocol::watch_atom, const std::string&, const caf::actor& w) -> std::uint64_t {
        protocol::store_event created;
        created.kind = protocol::event_kind::value_created;
        created.id = "ks/b";
        created.new_version = 105;
        created.payload = "B";
        self->delayed_send(w, 50ms, created); // after the answer, as a member sends it
        return 100;
      },
      [](protocol::unwatch_atom, const std::string&, const caf::actor&) {},
  };
}

BOOST_AUTO_TEST_CASE(a_prefix_watch_resumed_past_the_history_gets_the_values_and_the_ids_present) {
  caf::scoped_actor watcher{sys};
  auto first = sys.spawn(first_member);
  auto second = sys.spawn(compacted_member);
  auto relay = backend::spawn_watch_relay(sys, {"ks/*", watcher, 2000ms, 100ms});
  watcher->request(relay, 2s, protocol::watch_atom::value, first)
      .receive([](std::uint64_t start) { BOOST_TEST(start == 100u); },
               [&](caf::error& err) { BOOST_FAIL("watch failed: " << sys.render(err)); });
  std::vector<protocol::store_event> got;
  watcher->receive([&](protocol::store_event& e) { got.push_back(std::move(e)); },
                   caf::after(2s) >> [] {});
  watcher->send(relay, backend::resume_atom::value, second, std::uint64_t{1});
  bool more = true;
  while (more)
    watcher->receive([&](protocol::store_event& e) { got.push_back(std::move(e)); },
                     caf::after(500ms) >> [&] { more = false; });
  BOOST_REQUIRE(got.size() == 3u);
  BOOST_TEST(got[0].id == "ks/b"); // from the first member
  BOOST_TEST((got[1].kind == protocol::event_kind::value_caught_up));
  BOOST_TEST(got[1].id == "ks/a");
  BOOST_TEST(got[1].payload == "A");
  BOOST_TEST(got[1].new_version == 110u);
  BOOST_TEST((got[2].kind == protocol::event_kind::value_caught_up)); // the end: ids present
  BOOST_TEST(got[2].id == "ks/*");
  BOOST_TEST(got[2].payload == "ks/a\n");
  BOOST_TEST(got[2].new_version == 120u); // the listing's revision
  for (const auto& a : {first, second, relay})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
