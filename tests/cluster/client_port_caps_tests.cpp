// A member's client port holds at most network.max_watchers watchers and
// network.max_pending_requests waiting requests for its clients (docs/
// security.md, "Bounds"); beyond, limit_exceeded at once, and a slot freed
// is taken again. Against real dref-node processes, at the protocol level.

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "process_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/scoped_actor.hpp>
#include <csignal>
#include <optional>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;

using test::process_cluster;

namespace {

caf::actor client_port(process_cluster& c, std::size_t i) {
  auto port = net::remote_actor(c.sys, "127.0.0.1", c.ports[i]);
  BOOST_REQUIRE_MESSAGE(port, "dial " << c.ports[i]);
  return *port;
}

// The dref error a request came back with; nothing when it was answered.
template <class Reply, class... Args>
std::optional<errc> ask(caf::scoped_actor& self, const caf::actor& whom,
                        std::chrono::milliseconds patience, Args... args) {
  std::optional<errc> out = errc::internal;
  self->request(whom, patience, args...)
      .receive([&](Reply&) { out = std::nullopt; },
               [&](caf::error& err) { out = from_caf_error(err).code; });
  return out;
}

protocol::store_proposal write_of(const std::string& id) {
  protocol::store_proposal p;
  p.command = protocol::cmd_set{id, "x"};
  return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_port_caps)

BOOST_AUTO_TEST_CASE(watchers_over_the_cap_are_refused_until_one_leaves) {
  process_cluster c{1, {"--max-watchers", "2"}};
  auto port = client_port(c, 0);
  caf::scoped_actor asker{c.sys};
  auto watch = [&](const caf::actor& watcher) {
    return ask<std::uint64_t>(asker, port, 10s, protocol::watch_atom::value, std::string{"caps/w"},
                              watcher);
  };
  std::optional<caf::scoped_actor> first{c.sys};
  caf::scoped_actor second{c.sys};
  caf::scoped_actor third{c.sys};
  BOOST_TEST(!watch(caf::actor{*first}));
  BOOST_TEST(!watch(caf::actor{second}));
  BOOST_TEST((watch(caf::actor{third}) == std::optional<errc>{errc::limit_exceeded}));
  BOOST_TEST(!watch(caf::actor{second}), "a watcher already served watches more ids");
  first.reset(); // its relays end with it
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    std::this_thread::sleep_for(100ms);
    served = !watch(caf::actor{third});
  }
  BOOST_TEST(served, "the slot of a watcher that left is taken again");
}

BOOST_AUTO_TEST_CASE(requests_over_the_cap_are_refused_while_others_wait) {
  process_cluster c{3, {"--max-pending-requests", "1"}};
  BOOST_TEST_REQUIRE(static_cast<bool>(
      c.ctx(0).make<std::string>("", manual_id("caps/first")).try_set("up", 20s)));
  auto port = client_port(c, 0);
  // Without a quorum a write waits at the member; a burst sent at once
  // reaches the port in order, behind the first.
  for (std::size_t i : {1u, 2u})
    ::kill(c.nodes[i]->pid(), SIGSTOP);
  constexpr int burst = 20;
  caf::scoped_actor asker{c.sys};
  std::vector<decltype(asker->request(port, 30s, protocol::propose_atom::value, write_of("")))>
      calls;
  for (int i = 0; i < burst; ++i)
    calls.push_back(asker->request(port, 30s, protocol::propose_atom::value,
                                   write_of("caps/burst/" + std::to_string(i))));
  std::this_thread::sleep_for(500ms);
  for (std::size_t i : {1u, 2u})
    ::kill(c.nodes[i]->pid(), SIGCONT);
  int refused = 0;
  int answered = 0; // written, or failed otherwise (e.g. while the leader changed)
  for (auto& call : calls)
    std::move(call).receive([&](protocol::store_reply&) { ++answered; },
                            [&](caf::error& err) {
                              if (from_caf_error(err).code == errc::limit_exceeded)
                                ++refused;
                              else
                                ++answered;
                            });
  BOOST_TEST_MESSAGE(refused << " of " << burst << " refused with limit_exceeded");
  BOOST_TEST(refused >= 1, "a request over the cap was refused");
  BOOST_TEST(answered >= 1, "the request under the cap was taken");
  // Once a leader is back (an election may follow the pause).
  bool taken = false;
  for (int attempt = 0; attempt < 10 && !taken; ++attempt)
    taken = !ask<protocol::store_reply>(asker, port, 10s, protocol::propose_atom::value,
                                        write_of("caps/after"));
  BOOST_TEST(taken, "the port takes requests again");
}

BOOST_AUTO_TEST_SUITE_END()
