// The cluster client against a member that answers its probes but never a
// proposal or a read: each request still ends within its budget, with an
// error that says its outcome is unknown (cluster_client.hpp: "never a
// hang"). The attempts' timeouts are the client's own (request_deadlines),
// not CAF's; without them these requests waited forever.

#include "dref/backends/cluster/cluster_client.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <chrono>

using namespace dref;
using namespace std::chrono_literals;

namespace {

// Answers the status (so the client's probes find it alive); keeps every
// proposal and read unanswered.
caf::behavior member_that_never_commits(caf::event_based_actor* self) {
  return {
      [](protocol::status_atom) {
        protocol::node_status st;
        st.name = "silent";
        st.role = "follower";
        return st;
      },
      [self](protocol::propose_atom, const protocol::store_proposal&) {
        return self->make_response_promise<protocol::store_reply>();
      },
      [self](protocol::read_atom, const protocol::store_read&) {
        return self->make_response_promise<protocol::store_read_reply>();
      },
  };
}

// The client dials another member once it leaves the silent one.
caf::actor_system_config& with_middleman(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  return cfg;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{with_middleman(cfg)};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(silent_member, fixture)

BOOST_AUTO_TEST_CASE(requests_a_member_never_answers_end_within_their_budget) {
  auto member = sys.spawn(member_that_never_commits);
  backend::cluster_client_options options;
  // Nothing listens at port 1: once the client leaves the silent member,
  // there is no other to go to.
  options.endpoints = {config::endpoint{"127.0.0.1", 1}};
  options.request_budget = 1500ms;
  options.attempt_timeout = 300ms;
  options.probe_interval = 100ms;
  caf::scoped_actor self{sys};
  for (int round = 0; round < 2; ++round) {
    // A client each: one that left the member has none to send to.
    auto client = backend::spawn_cluster_client(sys, options, member, 0);
    auto asked = std::chrono::steady_clock::now();
    std::optional<caf::error> failed;
    bool answered = false;
    if (round == 0) {
      protocol::store_proposal p{7, 1, 0, 0, protocol::cmd_set{"k", "v"}};
      self->request(client, 10s, protocol::propose_atom::value, std::move(p))
          .receive([&](const protocol::store_reply&) { answered = true; },
                   [&](caf::error& err) { failed = err; });
    } else {
      protocol::store_read r;
      r.id = "k";
      self->request(client, 10s, protocol::read_atom::value, std::move(r))
          .receive([&](const protocol::store_read_reply&) { answered = true; },
                   [&](caf::error& err) { failed = err; });
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - asked);
    BOOST_TEST_MESSAGE((round == 0 ? "proposal" : "read")
                       << " ended after " << took.count()
                       << " ms: " << (failed ? sys.render(*failed) : "answered"));
    BOOST_TEST(!answered);
    BOOST_REQUIRE(failed.has_value());
    // The client's own budget ended it, not this test's 10 s.
    BOOST_TEST(failed->category() == caf_error_category, sys.render(*failed));
    BOOST_TEST(took < 5s);
    caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
  }
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
