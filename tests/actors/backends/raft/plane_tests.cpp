// A member's two ports (docs/security.md, "Planes") in an in-process
// cluster over loopback TCP: the client port takes what clients may send
// and nothing else, and the node takes its own messages (timers, link news,
// link cuts) only from its own process, also on the member port.

#include "../../../conformance/backend_clusters.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/admin.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/handshake.hpp"
#include "dref/protocol/store_batches.hpp"
#include "dref/store/named_commands.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <caf/scoped_actor.hpp>
#include <chrono>
#include <optional>
#include <ostream>
#include <thread>

namespace dref {
// For Boost.Test's messages.
std::ostream& operator<<(std::ostream& out, errc code) {
  return out << to_string(code);
}
} // namespace dref

using namespace dref;
using namespace std::chrono_literals;

namespace {

std::string name_of(std::size_t i) {
  return "node-" + std::to_string(i + 1);
}

caf::actor dial(caf::actor_system& sys, std::uint16_t port) {
  // A dial can fail on a loaded machine (CAF's handshake against its
  // connection timeout, actors/net/transport.cpp): try a few times.
  auto remote = net::remote_actor(sys, "127.0.0.1", port);
  for (int attempt = 1; !remote && attempt < 5; ++attempt) {
    std::this_thread::sleep_for(200ms);
    remote = net::remote_actor(sys, "127.0.0.1", port);
  }
  if (!remote)
    BOOST_FAIL("cannot dial port " << port << ": " << sys.render(remote.error()));
  return *remote;
}

// What a request to `whom` comes back with: the dref error's code, or
// nothing when it was answered with `Reply` (kept in *answer).
template <class Reply, class... Args>
std::optional<errc> ask(caf::actor_system& sys, const caf::actor& whom, Reply* answer,
                        Args... args) {
  caf::scoped_actor self{sys};
  std::optional<errc> out = errc::internal;
  self->request(whom, 5s, args...)
      .receive(
          [&](Reply& reply) {
            if (answer)
              *answer = std::move(reply);
            out = std::nullopt;
          },
          [&](caf::error& err) { out = from_caf_error(err).code; });
  return out;
}

// Whether a write through member 0 commits within `patience`: it cannot
// while every member is cut off from every other.
bool writes_commit(test::raft_cluster& c, const std::string& id,
                   std::chrono::milliseconds patience) {
  try {
    auto r = c.node(0).make<int>(0, manual_id(id));
    return static_cast<bool>(r.try_set(1, patience));
  } catch (const error_exception&) {
    return false; // make() itself could not reach a quorum
  }
}

// Cuts every member off from every other by sending link cuts to each
// member through `port_of(i)` from a plain client's actor system.
template <class PortOf>
void cut_everything_through(caf::actor_system& sys, test::raft_cluster& c, PortOf port_of) {
  caf::scoped_actor self{sys};
  for (std::size_t i = 0; i < c.members.size(); ++i) {
    auto target = dial(sys, port_of(i));
    for (std::size_t j = 0; j < c.members.size(); ++j)
      if (j != i)
        self->send(target, protocol::fault_atom::value, name_of(j), true, true);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(planes)

BOOST_AUTO_TEST_CASE(a_client_port_refuses_what_only_members_and_operators_may_send) {
  test::raft_cluster c{3};
  BOOST_TEST_REQUIRE(writes_commit(c, "p/first", 20s));
  auto port = dial(c.sys, c.members[0].port());

  protocol::admin_reply admin;
  BOOST_TEST(!ask(c.sys, port, &admin,
                  protocol::member_change{protocol::member_change_kind::remove, "node-2", ""}));
  BOOST_TEST_REQUIRE(admin.error.has_value());
  BOOST_TEST(admin.error->code == errc::permission_denied);
  BOOST_TEST(admin.error->message.find("member port") != std::string::npos, admin.error->message);
  admin = {};
  BOOST_TEST(!ask(c.sys, port, &admin, protocol::leader_transfer{"node-2"}));
  BOOST_TEST_REQUIRE(admin.error.has_value());
  BOOST_TEST(admin.error->code == errc::permission_denied);

  // A member's greeting and Raft traffic find nobody to take them.
  protocol::hello_reply greeted;
  BOOST_TEST(!ask(c.sys, port, &greeted,
                  protocol::hello{protocol::wire_format_version, "dref", "intruder", "0"}));
  BOOST_TEST_REQUIRE(greeted.refusal.has_value());
  BOOST_TEST(greeted.refusal->code == errc::permission_denied);
  protocol::proposal_batch forwards;
  forwards.proposals.push_back(protocol::store_proposal{0, 0, 0, 0, protocol::cmd_set{"p/f", "x"}});
  BOOST_TEST(ask<protocol::proposal_batch_reply>(c.sys, port, nullptr,
                                                 protocol::forward_atom::value, forwards)
                 .has_value());

  // What clients may do still works: the status, a watch of one id.
  protocol::node_status status;
  BOOST_TEST(!ask(c.sys, port, &status, protocol::status_atom::value));
  BOOST_TEST(status.name == "node-1");
  {
    caf::scoped_actor watcher{c.sys};
    std::uint64_t start = 0;
    BOOST_TEST(!ask(c.sys, port, &start, protocol::watch_atom::value, std::string{"p/watched"},
                    caf::actor{watcher}));
    c.node(1).make<int>(0, manual_id("p/watched")).set(7);
    bool seen = false;
    // From the port itself: clients take events only from the member they
    // watch at (watch_relay.hpp).
    watcher->receive(
        [&](const protocol::store_event& e) {
          seen = e.id == "p/watched" &&
                 caf::actor_cast<caf::actor_addr>(watcher->current_sender()) == port.address();
        },
        caf::after(10s) >> [] {});
    BOOST_TEST(seen);
    // ... but not of every id at once.
    BOOST_TEST((ask(c.sys, port, &start, protocol::watch_atom::value, std::string{"*"},
                    caf::actor{watcher}) == errc::permission_denied));
  }
  // The watcher is gone, and with it the relays the member made for it;
  // the member itself goes on.
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(!ask(c.sys, port, &status, protocol::status_atom::value));
  BOOST_TEST(writes_commit(c, "p/after-the-watcher", 10s));
}

// A follower sends a client's proposals on to the leader in batches
// (node_forwards.cpp): each takes effect once, is answered as it would be
// alone, and only once the follower applied it, so that a stale read there
// right after the answer sees it.
BOOST_AUTO_TEST_CASE(every_member_answers_a_batch_a_follower_through_the_leader) {
  test::raft_cluster c{3};
  BOOST_TEST_REQUIRE(writes_commit(c, "f/first", 20s));
  constexpr std::size_t items = 120;
  for (std::size_t m = 0; m < c.members.size(); ++m) {
    auto port = dial(c.sys, c.members[m].port());
    protocol::proposal_batch batch;
    for (std::size_t i = 0; i < items; ++i) {
      protocol::store_command command;
      if (i % 2 == 0)
        command = protocol::cmd_run{"f/count", "add_i64", store::encode_i64(1)};
      else
        command = protocol::cmd_set{"f/" + std::to_string(m) + "/" + std::to_string(i), "v"};
      batch.proposals.push_back(protocol::store_proposal{0, 0, 0, 0, std::move(command)});
    }
    protocol::proposal_batch_reply written;
    BOOST_TEST_REQUIRE(!ask(c.sys, port, &written, protocol::propose_atom::value, batch));
    BOOST_TEST_REQUIRE(written.outcomes.size() == items);
    for (std::size_t i = 0; i < items; ++i) {
      BOOST_TEST_REQUIRE(!written.outcomes[i].failed, "member " << m << " item " << i);
      BOOST_TEST_REQUIRE(!written.outcomes[i].reply.error, "member " << m << " item " << i);
    }
    protocol::read_batch reads;
    for (std::size_t i = 1; i < items; i += 2) {
      protocol::store_read r{protocol::read_kind::value,
                             "f/" + std::to_string(m) + "/" + std::to_string(i), 0, 0};
      r.stale = true;
      reads.reads.push_back(std::move(r));
    }
    protocol::read_batch_reply read;
    BOOST_TEST_REQUIRE(!ask(c.sys, port, &read, protocol::read_atom::value, reads));
    BOOST_TEST_REQUIRE(read.outcomes.size() == reads.reads.size());
    for (std::size_t i = 0; i < read.outcomes.size(); ++i) {
      BOOST_TEST_REQUIRE(!read.outcomes[i].failed);
      BOOST_TEST(!read.outcomes[i].reply.error,
                 "member " << m << ": " << reads.reads[i].id << " not applied there yet");
    }
  }
  auto count = c.node(0).existing<std::int64_t>(manual_id("f/count"));
  BOOST_TEST(count.get() == static_cast<std::int64_t>(c.members.size() * items / 2));

  // What a follower sends the leader: the answer names the highest log
  // index among the batch's entries (a version is its entry's index), the
  // index the follower applies before it answers its callers.
  for (std::size_t m = 0; m < c.members.size(); ++m) {
    auto member_port = dial(c.sys, config::member_port_of({"127.0.0.1", c.members[m].port()}).port);
    protocol::proposal_batch forwards;
    for (int i = 0; i < 3; ++i)
      forwards.proposals.push_back(protocol::store_proposal{
          0, 0, 0, 0, protocol::cmd_set{"f/direct/" + std::to_string(i), "v"}});
    caf::scoped_actor self{c.sys};
    bool leads = false;
    self->request(member_port, 5s, protocol::forward_atom::value, forwards)
        .receive(
            [&](protocol::proposal_batch_reply& reply, std::uint64_t index) {
              leads = true;
              BOOST_TEST_REQUIRE(reply.outcomes.size() == 3u);
              std::uint64_t highest = 0;
              for (auto& outcome : reply.outcomes) {
                BOOST_TEST_REQUIRE(!outcome.failed);
                BOOST_TEST_REQUIRE(!outcome.reply.error);
                highest =
                    std::max(highest, std::get<protocol::res_written>(outcome.reply.value).version);
              }
              BOOST_TEST(index == highest);
            },
            [&](caf::error& err) { BOOST_TEST((from_caf_error(err).code == errc::not_leader)); });
    if (leads)
      return;
  }
  BOOST_FAIL("no member took the forwarded batch as the leader");
}

// Link cuts are dropped on a client port, and on the member port unless
// the member was started with failpoints.network_faults; from the member's
// own process they work (which is what shows the drops are real).
// client_port.hpp: a batch's items are answered one by one, in order, as
// each would be alone; a batch of none or of too many is refused whole.
BOOST_AUTO_TEST_CASE(a_client_port_answers_a_batch_item_by_item) {
  test::raft_cluster c{3};
  BOOST_TEST_REQUIRE(writes_commit(c, "b/first", 20s));
  auto port = dial(c.sys, c.members[0].port());
  auto proposal = [](protocol::store_command command) {
    return protocol::store_proposal{0, 0, 0, 0, std::move(command)};
  };

  protocol::proposal_batch batch;
  batch.proposals.push_back(proposal(protocol::cmd_set{"b/1", "one"}));
  // Refused by the store's rules: a reply that says why.
  batch.proposals.push_back(proposal(protocol::cmd_member_announce{"node-9", "127.0.0.1:1"}));
  // Refused before it reaches the log: no reply, an error.
  batch.proposals.push_back(
      proposal(protocol::cmd_set{"b/big", std::string(2 * 1024 * 1024, 'x')}));
  batch.proposals.push_back(proposal(protocol::cmd_set{"b/2", "two"}));
  protocol::proposal_batch_reply written;
  BOOST_TEST_REQUIRE(!ask(c.sys, port, &written, protocol::propose_atom::value, batch));
  BOOST_TEST_REQUIRE(written.outcomes.size() == 4u);
  for (std::size_t i : {0u, 1u, 3u})
    BOOST_TEST(!written.outcomes[i].failed, i);
  BOOST_TEST(!written.outcomes[0].reply.error);
  BOOST_TEST_REQUIRE(written.outcomes[1].reply.error.has_value());
  BOOST_TEST(written.outcomes[1].reply.error->code == errc::invalid_argument);
  BOOST_TEST_REQUIRE(written.outcomes[2].failed.has_value());
  BOOST_TEST(written.outcomes[2].failed->code == errc::value_too_large);
  BOOST_TEST(!written.outcomes[3].reply.error);

  protocol::read_batch reads;
  for (const char* id : {"b/2", "b/missing", "b/1", "b/big"})
    reads.reads.push_back(protocol::store_read{protocol::read_kind::value, id, 0, 0});
  protocol::read_batch_reply read;
  BOOST_TEST_REQUIRE(!ask(c.sys, port, &read, protocol::read_atom::value, reads));
  BOOST_TEST_REQUIRE(read.outcomes.size() == 4u);
  auto value_of = [&](std::size_t i) {
    BOOST_TEST_REQUIRE(!read.outcomes[i].failed);
    BOOST_TEST_REQUIRE(!read.outcomes[i].reply.error);
    return std::get<protocol::value_state>(read.outcomes[i].reply.value).value;
  };
  BOOST_TEST(value_of(0) == "two");
  BOOST_TEST(value_of(2) == "one");
  for (std::size_t i : {1u, 3u}) {
    BOOST_TEST_REQUIRE(read.outcomes[i].reply.error.has_value());
    BOOST_TEST(read.outcomes[i].reply.error->code == errc::not_found);
  }

  auto refused =
      ask(c.sys, port, &written, protocol::propose_atom::value, protocol::proposal_batch{});
  BOOST_TEST((refused == errc::invalid_argument));
  protocol::read_batch too_many;
  too_many.reads.resize(protocol::max_batch_items + 1,
                        protocol::store_read{protocol::read_kind::value, "b/1", 0, 0});
  refused = ask(c.sys, port, &read, protocol::read_atom::value, too_many);
  BOOST_TEST((refused == errc::invalid_argument));
  too_many.reads.pop_back(); // exactly the most a batch may carry
  BOOST_TEST_REQUIRE(!ask(c.sys, port, &read, protocol::read_atom::value, too_many));
  BOOST_TEST(read.outcomes.size() == protocol::max_batch_items);
}

BOOST_AUTO_TEST_CASE(link_cuts_from_the_network_are_dropped) {
  test::raft_cluster c{3};
  BOOST_TEST_REQUIRE(writes_commit(c, "p/before", 20s));
  cut_everything_through(c.sys, c, [&](std::size_t i) { return c.members[i].port(); });
  cut_everything_through(c.sys, c, [&](std::size_t i) {
    return config::member_port_of({"127.0.0.1", c.members[i].port()}).port;
  });
  std::this_thread::sleep_for(1s); // several election timeouts
  BOOST_TEST(writes_commit(c, "p/after-network-cuts", 10s));

  for (std::size_t i = 0; i < c.members.size(); ++i)
    for (std::size_t j = 0; j < c.members.size(); ++j)
      if (j != i)
        c.members[i].set_link_cut(name_of(j), true);
  std::this_thread::sleep_for(1s);
  BOOST_TEST(!writes_commit(c, "p/after-local-cuts", 2s));
  for (std::size_t i = 0; i < c.members.size(); ++i)
    for (std::size_t j = 0; j < c.members.size(); ++j)
      if (j != i)
        c.members[i].set_link_cut(name_of(j), false);
  BOOST_TEST(writes_commit(c, "p/healed", 20s));
}

// A node's timers come from itself: ticks sent from the network (here on
// the member port) do not drive it. A leader that counted 5000 forged ticks
// would see many election timeouts pass without a quorum's answer in
// between and step down (check quorum), and a new term would follow.
BOOST_AUTO_TEST_CASE(ticks_from_the_network_do_not_drive_a_member) {
  test::raft_cluster c{3};
  BOOST_TEST_REQUIRE(writes_commit(c, "p/ticks", 20s));
  std::optional<std::size_t> leader;
  std::uint64_t term = 0;
  for (std::size_t i = 0; i < c.members.size(); ++i)
    if (auto st = c.members[i].status(c.sys, 5s); st && st->role == "leader") {
      leader = i;
      term = st->term;
    }
  BOOST_TEST_REQUIRE(leader.has_value());
  auto member_port =
      dial(c.sys, config::member_port_of({"127.0.0.1", c.members[*leader].port()}).port);
  caf::scoped_actor self{c.sys};
  for (int i = 0; i < 5000; ++i)
    self->send(member_port, protocol::tick_atom::value);
  std::this_thread::sleep_for(1500ms);
  auto after = c.members[*leader].status(c.sys, 5s);
  BOOST_TEST_REQUIRE(after.has_value());
  BOOST_TEST(after->role == "leader");
  BOOST_TEST(after->term == term);
}

BOOST_AUTO_TEST_SUITE_END()
