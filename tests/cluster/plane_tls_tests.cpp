// Principals over mutual TLS (docs/security.md, "Planes"), on real
// dref-node processes whose members' CA and clients' CA differ: a client
// certificate reads and writes on the client port but cannot reach a
// member port (no Raft traffic, no greeting as a member, no membership
// change, no leadership transfer, no link cut), while an operator holding
// a certificate of the members' CA with OU=operator administers through
// member ports but cannot speak for a member (no greeting, no forwarded
// proposal, no Raft message), and a Raft message counts only from the
// member it names.

#include "dref/net/transport.hpp"
#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/handshake.hpp"
#include "member_directory.hpp"
#include "process_cluster.hpp"
#include "test_certs.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/scoped_actor.hpp>
#include <fstream>

using namespace dref;
using namespace std::chrono_literals;

using test::drefctl;
using test::process_cluster;

namespace {

// The members' CA signs the members' and the operator's certificates; the
// clients' CA signs the client's. A member's client port trusts both (its
// tls.client_ca file holds the two), its member port only the first.
struct two_cas {
  test::test_certs certs{{{"", "member operator"}, {"clients", "client"}}};
  std::string client_port_cas = write_bundle();

  std::vector<std::string> member_flags() const {
    return {"--tls-certificate", certs.certificate("member"),
            "--tls-key",         certs.key("member"),
            "--tls-ca",          certs.ca(),
            "--tls-client-ca",   client_port_cas};
  }
  config::tls client() const {
    return {certs.certificate("client", "clients"), certs.key("client", "clients"), certs.ca(), "",
            ""};
  }
  config::tls member() const {
    return {certs.certificate("member"), certs.key("member"), certs.ca(), "", ""};
  }
  config::tls operator_() const {
    return {certs.certificate("operator"), certs.key("operator"), certs.ca(), "", ""};
  }
  static std::vector<std::string> flags_of(const config::tls& tls) {
    return {"--tls-certificate", tls.certificate, "--tls-key", tls.key, "--tls-ca", tls.ca};
  }

private:
  std::string write_bundle() const {
    auto path = std::filesystem::path{certs.ca()}.parent_path() / "client-port-cas.pem";
    std::ofstream out{path};
    for (const auto& ca : {certs.ca("clients"), certs.ca()})
      out << std::ifstream{ca}.rdbuf();
    return path.string();
  }
};

struct plane_cluster {
  two_cas cas;
  process_cluster c{3, cas.member_flags(), cas.client()};

  std::uint16_t member_port(std::size_t i) const {
    return config::member_port_of({"127.0.0.1", c.ports[i]}).port;
  }
  std::uint64_t term_of(std::size_t i) {
    auto st = c.members[i].status(c.sys, 2s);
    BOOST_REQUIRE(st.has_value());
    return st->term;
  }
  test::cli_result ctl(const config::tls& who, std::vector<std::string> args) const {
    auto argv = two_cas::flags_of(who);
    argv.insert(argv.end(), {"--endpoints", c.endpoint(0)});
    argv.insert(argv.end(), args.begin(), args.end());
    return drefctl(argv);
  }
};

// An actor system that holds `who`'s certificate and has dialed a member
// port.
struct dialer {
  dialer(const config::tls& who, std::uint16_t port) {
    protocol::register_with(cfg);
    net::configure(cfg, who, 1s);
    sys.emplace(cfg);
    auto dialed = net::remote_actor(*sys, "127.0.0.1", port);
    BOOST_REQUIRE_MESSAGE(dialed, "dial " << port);
    node = *dialed;
  }
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  caf::actor node;
};

} // namespace

BOOST_AUTO_TEST_SUITE(planes_over_tls)

BOOST_AUTO_TEST_CASE(a_client_certificate_serves_on_the_client_port_only) {
  plane_cluster p;
  auto r = p.c.ctx(0).make<std::string>("", manual_id("planes/value"));
  r.set("written by a client");
  BOOST_TEST(p.c.ctx(1).make<std::string>("", manual_id("planes/value")).get() ==
             "written by a client");
  auto set = p.ctl(p.cas.client(), {"set", "planes/ctl", "hello"});
  BOOST_TEST(set.code == 0, set.err);
  auto got = p.ctl(p.cas.client(), {"get", "planes/ctl"});
  BOOST_TEST(got.out.starts_with("hello\n"), got.out << got.err);

  // A member port does not complete a handshake with a client certificate:
  // no Raft message, greeting or link cut can be sent there.
  for (std::size_t i = 0; i < p.c.ports.size(); ++i) {
    auto dialed = net::remote_actor(p.c.sys, "127.0.0.1", p.member_port(i));
    BOOST_TEST(!dialed, "member port of node " << i << " took a client certificate");
  }
  // Nor can it change membership or leadership, through the API or drefctl.
  auto moved = p.c.members[0].transfer_leadership(p.c.sys, "node-2", 5s);
  BOOST_TEST_REQUIRE(!moved);
  BOOST_TEST(moved.error().message.find("member port") != std::string::npos, moved.error().message);
  auto added = p.ctl(p.cas.client(), {"members", "add", "node-9", "127.0.0.1:9"});
  BOOST_TEST(added.code != 0);
  BOOST_TEST(added.err.find("member port") != std::string::npos, added.err);
  auto status = p.ctl(p.cas.operator_(), {"status"});
  BOOST_TEST_REQUIRE(status.code == 0, status.err);
  BOOST_TEST(status.out.find("node-9") == std::string::npos, status.out);
}

BOOST_AUTO_TEST_CASE(an_operator_certificate_administers_through_a_member_port) {
  plane_cluster p;
  // The operator reaches member ports (and, through the bundle, client ports).
  for (std::size_t i = 0; i < p.c.ports.size(); ++i)
    dialer{p.cas.operator_(), p.member_port(i)};
  // Leadership moves where the operator says.
  std::string target;
  for (int attempt = 0; attempt < 100 && target.empty(); ++attempt) {
    auto st = p.c.members[0].status(p.c.sys, 2s);
    if (st && !st->leader.empty())
      target = st->leader == "node-1" ? "node-2" : "node-1";
    else
      std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST_REQUIRE(!target.empty());
  // What is checked is that the operator may move it: a transfer that
  // timed out on a loaded machine (exit 4, e.g. an election in between)
  // is asked again, a refusal is not.
  auto moved = p.ctl(p.cas.operator_(), {"transfer-leader", target});
  for (int attempt = 1; attempt < 3 && moved.code == 4; ++attempt)
    moved = p.ctl(p.cas.operator_(), {"transfer-leader", target});
  BOOST_TEST(moved.code == 0, moved.err);
  auto st = p.c.members[0].status(p.c.sys, 2s);
  BOOST_TEST_REQUIRE(st.has_value());
  BOOST_TEST(st->leader == target);
}

BOOST_AUTO_TEST_CASE(an_operator_certificate_cannot_speak_for_a_member) {
  plane_cluster p;
  // A fresh TLS cluster on a loaded machine may take a while.
  auto leading_at = p.c.leader(45s);
  BOOST_TEST_REQUIRE(leading_at.has_value());
  std::size_t leading = *leading_at;
  std::size_t follower = leading == 0 ? 1 : 0;
  auto leader = p.c.name(leading);
  dialer to_leader{p.cas.operator_(), p.member_port(leading)};
  caf::scoped_actor self{*to_leader.sys};

  // No greeting as a member.
  self->request(to_leader.node, 5s,
                protocol::hello{protocol::wire_format_version, "dref", "node-9", "0"})
      .receive(
          [](const protocol::hello_reply& reply) {
            BOOST_TEST_REQUIRE(reply.refusal.has_value());
            BOOST_TEST((reply.refusal->code == errc::permission_denied));
            BOOST_TEST(reply.refusal->message.find("members only") != std::string::npos,
                       reply.refusal->message);
          },
          [](const caf::error& err) { BOOST_FAIL("greeting: " << to_string(err)); });

  // No proposal as if forwarded by a member: nothing is written.
  auto forged = [](const std::string& id) {
    protocol::store_proposal proposal;
    proposal.command = protocol::cmd_set{id, "forged"};
    return protocol::proposal_batch{{proposal}};
  };
  self->request(to_leader.node, 5s, protocol::forward_atom::value, forged("planes/forged"))
      .receive([](const protocol::proposal_batch_reply&,
                  std::uint64_t) { BOOST_FAIL("a forwarded proposal was taken"); },
               [](const caf::error& err) {
                 BOOST_TEST((from_caf_error(err).code == errc::permission_denied), to_string(err));
               });
  auto r = p.c.ctx(0).make<std::string>("absent", manual_id("planes/forged"));
  BOOST_TEST(r.get() == "absent");

  // No Raft message: a timeout-now in the leader's name, at a term far
  // ahead, does not move a follower to that term (elections that a loaded
  // machine may see on its own do not get that far).
  auto term = p.term_of(follower);
  auto forged_term = term + 1000;
  dialer to_follower{p.cas.operator_(), p.member_port(follower)};
  protocol::raft_message campaign{raft::node::member_id(leader),
                                  raft::node::member_id("node-" + std::to_string(follower + 1)),
                                  forged_term, protocol::raft_timeout_now{}};
  caf::scoped_actor operator_self{*to_follower.sys}; // a sender the member can look up
  operator_self->send(to_follower.node, campaign);
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(p.term_of(follower) < forged_term, "an operator's Raft message moved the term");

  // Nor from a member's certificate on another node than the one that
  // greeted under the leader's name.
  dialer as_member{p.cas.member(), p.member_port(follower)};
  caf::scoped_actor member_self{*as_member.sys};
  member_self->send(as_member.node, campaign);
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(p.term_of(follower) < forged_term,
             "a Raft message in another member's name moved the term");

  // An election at that follower shows in its term.
  auto moved =
      p.ctl(p.cas.operator_(), {"transfer-leader", "node-" + std::to_string(follower + 1)});
  BOOST_TEST_REQUIRE(moved.code == 0, moved.err);
  BOOST_TEST(p.term_of(follower) > term);
}

BOOST_AUTO_TEST_SUITE_END()
