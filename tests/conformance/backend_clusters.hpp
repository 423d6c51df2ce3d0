#pragma once
// The clusters behind conformance_cluster, one per backend (only
// cluster_fixture.cpp includes this).

#include "child_process.hpp"
#include "cluster_fixture.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"
#include "redis_server.hpp"
#include "test_certs.hpp"

#include <caf/actor_system.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dref::test {

// Sessions of every backend's contexts: short, so that crash tests pass a
// lock on within seconds, but with keepalives (every third of it) that
// survive a stalled worker or a raft election on a loaded machine: a lapse
// there would hand a lock or a leadership on in the middle of a test.
inline constexpr std::chrono::milliseconds conformance_session_ttl{2000};
// Raft members' timeouts, with the same margin.
inline constexpr std::chrono::milliseconds conformance_election_timeout{250};
inline constexpr std::chrono::milliseconds conformance_heartbeat{50};

struct memory_cluster : cluster_base {
  static constexpr const char* name = "memory";
  static constexpr std::chrono::milliseconds session_ttl = conformance_session_ttl;

  explicit memory_cluster(std::size_t nodes = 3, store::limits limits = {})
      : backend(memory_backend::start(sys, limits)) {
    context_options options;
    options.session_ttl = session_ttl;
    for (std::size_t i = 0; i < nodes; ++i)
      contexts.push_back(std::make_unique<context>(sys, backend, options));
  }
  ~memory_cluster() {
    contexts.clear();
    backend = memory_backend{};
  }

  context& node(std::size_t i) override { return *contexts.at(i); }
  caf::actor_system& system() override { return sys; }

  node_system_config cfg;
  caf::actor_system sys{cfg};
  memory_backend backend;
  std::vector<std::unique_ptr<context>> contexts;
};

// Raft: every context has its own cluster member, each in its own actor
// system (its own middleman, data directory and loopback port), so members
// talk over TCP like separate processes; the contexts live in sys, where
// the tests spawn their actors.
struct raft_cluster : cluster_base {
  static constexpr const char* name = "raft";
  static constexpr std::chrono::milliseconds session_ttl = conformance_session_ttl;

  explicit raft_cluster(std::size_t nodes = 3, store::limits limits = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "dref-raft-XXXXXX").string();
    data_root = ::mkdtemp(pattern.data());
    std::vector<config::endpoint> peers;
    for (std::size_t i = 0; i < nodes; ++i)
      peers.push_back({"127.0.0.1", free_loopback_port()});
    context_options options;
    options.session_ttl = session_ttl;
    for (std::size_t i = 0; i < nodes; ++i) {
      config::node_config node;
      node.backend = config::backend_kind::raft;
      node.node_id = "node-" + std::to_string(i + 1);
      node.port = peers[i].port;
      node.peers = peers;
      node.data_dir = (data_root / node.node_id).string();
      node.timeouts.election = conformance_election_timeout;
      node.timeouts.heartbeat = conformance_heartbeat;
      node_configs.push_back(std::make_unique<node_system_config>(node));
      node_systems.push_back(std::make_unique<caf::actor_system>(*node_configs.back()));
      members.push_back(raft_member::start(*node_systems.back(), node, limits));
      contexts.push_back(std::make_unique<context>(sys, members.back(), options));
    }
  }
  ~raft_cluster() {
    contexts.clear();
    // Actors of sys may still hold a context's internals (and so a member)
    // until sys goes; the members' systems must stop first.
    for (auto& m : members)
      m.stop();
    members.clear();
    node_systems.clear();
    std::error_code ec;
    std::filesystem::remove_all(data_root, ec);
  }

  context& node(std::size_t i) override { return *contexts.at(i); }
  caf::actor_system& system() override { return sys; }

  node_system_config cfg;
  caf::actor_system sys{cfg};
  std::filesystem::path data_root;
  std::vector<std::unique_ptr<node_system_config>> node_configs;
  std::vector<std::unique_ptr<caf::actor_system>> node_systems;
  std::vector<raft_member> members;
  std::vector<std::unique_ptr<context>> contexts;
};

// Redis: one real redis-server on a free loopback port; every context is a
// node with its own backend (its own connections), as separate processes
// sharing one Redis would be.
struct redis_cluster : cluster_base {
  static constexpr const char* name = "redis";
  static constexpr std::chrono::milliseconds session_ttl = conformance_session_ttl;

  explicit redis_cluster(std::size_t nodes = 3, store::limits limits = {}, bool tls_and_acl = false)
      : server(server_settings(tls_and_acl)) {
    config::node_config node;
    node.backend = config::backend_kind::redis;
    node.redis = {"127.0.0.1", server.port()};
    node.redis_key_prefix = "conformance:";
    if (tls_and_acl) {
      node.redis_security.username = "dref";
      node.redis_security.password = "conformance pass";
      node.redis_security.tls = true;
      node.redis_security.tls_ca = certs().ca();
    }
    context_options options;
    options.session_ttl = session_ttl;
    for (std::size_t i = 0; i < nodes; ++i) {
      backends.push_back(redis_backend::start(sys, node, limits));
      contexts.push_back(std::make_unique<context>(sys, backends.back(), options));
    }
  }
  ~redis_cluster() {
    contexts.clear();
    backends.clear();
  }

  context& node(std::size_t i) override { return *contexts.at(i); }
  caf::actor_system& system() override { return sys; }

  // One CA and server certificate for the whole run (made at the first
  // cluster, removed at exit).
  static const test_certs& certs() {
    static test_certs made{{{"", "server"}}};
    return made;
  }

  static redis_server::settings server_settings(bool tls_and_acl) {
    if (!tls_and_acl)
      return {};
    return {false,
            true,
            {"--tls-cert-file", certs().certificate("server"), "--tls-key-file",
             certs().key("server"), "--tls-ca-cert-file", certs().ca(), "--tls-auth-clients", "no",
             "--user", "default", "off", "--user", "dref", "on", ">conformance pass",
             "resetchannels", "~conformance:*", "+@all", "-@dangerous"}};
  }

  redis_server server;
  node_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<redis_backend> backends;
  std::vector<std::unique_ptr<context>> contexts;
};

#ifdef DREF_NODE_BIN
// Raft across processes: every member is a dref-node process on loopback;
// the contexts in this process reach them over the network, as clients.
struct raft_process_cluster : cluster_base {
  static constexpr const char* name = "raft-processes";
  static constexpr std::chrono::milliseconds session_ttl = conformance_session_ttl;

  // With tls, the members and this process's contexts talk mutual TLS with
  // certificates of one test CA for the whole run (certs()).
  explicit raft_process_cluster(std::size_t nodes = 3, store::limits limits = {}, bool tls = false)
      : data_root(scratch_directory())
      , cfg(client_config(tls ? config::tls{certs().certificate("client"), certs().key("client"),
                                            certs().ca(), "", ""}
                              : config::tls{})) {
    check_passable(limits);
    std::vector<std::uint16_t> ports;
    std::string peers;
    for (std::size_t i = 0; i < nodes; ++i) {
      ports.push_back(free_loopback_port());
      peers += (peers.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(ports[i]);
    }
    for (std::size_t i = 0; i < nodes; ++i) {
      auto node_id = "node-" + std::to_string(i + 1);
      std::vector<std::string> argv{DREF_NODE_BIN,
                                    "--backend",
                                    "raft",
                                    "--node-id",
                                    node_id,
                                    "--port",
                                    std::to_string(ports[i]),
                                    "--data-dir",
                                    (data_root / node_id).string(),
                                    "--peers",
                                    peers,
                                    "--election-timeout-ms",
                                    std::to_string(conformance_election_timeout.count()),
                                    "--heartbeat-ms",
                                    std::to_string(conformance_heartbeat.count()),
                                    "--max-value-bytes",
                                    std::to_string(limits.max_value_bytes),
                                    "--max-id-length",
                                    std::to_string(limits.max_id_length),
                                    "--topic-max-messages",
                                    std::to_string(limits.topic_max_messages)};
#ifdef DREF_TEST_PLUGIN // the named commands of the conformance suites
      argv.insert(argv.end(), {"--plugin", DREF_TEST_PLUGIN});
#endif
      if (tls)
        argv.insert(argv.end(), {"--tls-certificate", certs().certificate("member"), "--tls-key",
                                 certs().key("member"), "--tls-ca", certs().ca()});
      processes.push_back(
          std::make_unique<child_process>(argv, (data_root / (node_id + ".log")).string()));
    }
    context_options options;
    options.session_ttl = session_ttl;
    for (std::size_t i = 0; i < nodes; ++i) {
      if (!wait_until_listening(ports[i], std::chrono::seconds{10}))
        throw std::runtime_error("dref-node " + std::to_string(i + 1) + " did not start");
      members.push_back(raft_member::connect(sys, "127.0.0.1", ports[i], std::chrono::seconds{10}));
      contexts.push_back(std::make_unique<context>(sys, members.back(), options));
    }
    wait_for_one_leader(std::chrono::seconds{30});
  }

  // Until every member follows one leader. The suites test the API, not how
  // fast a fresh cluster forms: on a loaded machine the members' TLS dials
  // and first election can take longer than a request's timeout, and a
  // test's first call would fail with timeout (as it should, for a client).
  void wait_for_one_leader(std::chrono::seconds patience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
      std::set<std::string> leaders;
      bool every_member_knows = true;
      for (auto& member : members) {
        auto st = member.status(sys, std::chrono::seconds{1});
        if (!st || st->leader.empty()) {
          every_member_knows = false;
          break;
        }
        leaders.insert(st->leader);
      }
      if (every_member_knows && leaders.size() == 1)
        return;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("the dref-node members did not agree on a leader within " +
                                 std::to_string(patience.count()) + " s");
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
  }
  ~raft_process_cluster() {
    contexts.clear();
    members.clear();
    processes.clear(); // SIGTERM, then SIGKILL after a grace period
    std::error_code ec;
    if (std::getenv("DREF_KEEP_TEST_DIRS") == nullptr)
      std::filesystem::remove_all(data_root, ec);
  }

  static std::filesystem::path scratch_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dref-procs-XXXXXX").string();
    return ::mkdtemp(pattern.data());
  }

  // One CA with a member and a client certificate for the whole run (made
  // at the first TLS cluster, removed at exit).
  static const test_certs& certs() {
    static test_certs made{{{"", "member client"}}};
    return made;
  }

  static config::node_config client_config(config::tls tls) {
    config::node_config node;
    node.tls = std::move(tls);
    return node;
  }

  context& node(std::size_t i) override {
    return *contexts.at(i);
  }
  caf::actor_system& system() override {
    return sys;
  }

  // A dref-node takes its limits from flags; a limit without one cannot
  // be tested here, and silently testing the default instead would lie.
  static void check_passable(const store::limits& wanted) {
    store::limits flags_only;
    flags_only.max_value_bytes = wanted.max_value_bytes;
    flags_only.max_id_length = wanted.max_id_length;
    flags_only.topic_max_messages = wanted.topic_max_messages;
    if (wanted != flags_only)
      throw std::invalid_argument("raft_process_cluster passes only max_value_bytes, "
                                  "max_id_length and topic_max_messages to dref-node");
  }

  std::filesystem::path data_root;
  node_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<std::unique_ptr<child_process>> processes;
  std::vector<raft_member> members;
  std::vector<std::unique_ptr<context>> contexts;
};
#endif

} // namespace dref::test
