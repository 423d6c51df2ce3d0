#pragma once
// The cluster tests' fixture: real dref-node processes on loopback (each on
// a free port, with its own data directory and log file under a scratch
// root), a member handle and a context connected to each over the network,
// and drefctl run against them. Every process is stopped when the fixture
// goes, also when a test fails (then each member's log ends on stderr and
// the scratch root is kept). With client_tls set, the fixture's own actor
// system talks mutual TLS (give the members the TLS flags in node_flags).

#include "child_process.hpp"
#include "dref/actors/node_system.hpp"
#include "dref/context.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dref::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct process_cluster {
  // own_flags(i): flags for member i alone (e.g. a port of its own), on
  // every start.
  explicit process_cluster(std::size_t n = 3, std::vector<std::string> node_flags = {},
                           config::tls client_tls = {},
                           std::function<std::vector<std::string>(std::size_t)> own_flags = {})
      : flags(std::move(node_flags))
      , flags_of(std::move(own_flags))
      , cfg(client_config(std::move(client_tls))) {
    std::string pattern = (fs::temp_directory_path() / "dref-cluster-XXXXXX").string();
    root = ::mkdtemp(pattern.data());
    for (std::size_t i = 0; i < n; ++i)
      ports.push_back(test::free_loopback_port());
    for (std::size_t i = 0; i < n; ++i)
      nodes.push_back(nullptr);
    for (std::size_t i = 0; i < n; ++i)
      start(i);
    for (std::size_t i = 0; i < n; ++i) {
      BOOST_REQUIRE_MESSAGE(test::wait_until_listening(ports[i], 10s), "node " << i << " up");
      members.push_back(raft_member::connect(sys, "127.0.0.1", ports[i], std::chrono::seconds{10}));
      contexts.push_back(std::make_unique<context>(sys, members.back(), options()));
    }
  }
  ~process_cluster() {
    contexts.clear();
    members.clear();
    nodes.clear();
    if (current_test_failed()) {
      // What the members said is often the only clue to a failure seen once.
      for (std::size_t i = 0; i < ports.size(); ++i)
        print_log_tail(i, 60);
      std::fprintf(stderr, "process_cluster: kept %s (the test failed)\n", root.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  static bool current_test_failed() {
    namespace ut = boost::unit_test;
    return !ut::results_collector.results(ut::framework::current_test_case().p_id).passed();
  }

  void print_log_tail(std::size_t i, std::size_t lines) const {
    std::ifstream in{root / (name(i) + ".log")};
    std::vector<std::string> tail;
    for (std::string line; std::getline(in, line);) {
      tail.push_back(std::move(line));
      if (tail.size() > lines)
        tail.erase(tail.begin());
    }
    std::fprintf(stderr, "---- last %zu lines of %s's log ----\n", tail.size(), name(i).c_str());
    for (const auto& line : tail)
      std::fprintf(stderr, "%s\n", line.c_str());
  }

  static context_options options() {
    context_options o;
    o.request_timeout = 10s; // a loaded machine may take a few elections to settle
    o.session_ttl = 1s;
    return o;
  }

  static config::node_config client_config(config::tls tls) {
    config::node_config node;
    node.tls = std::move(tls);
    return node;
  }

  std::string name(std::size_t i) const { return "node-" + std::to_string(i + 1); }

  void start(std::size_t i, std::vector<std::string> extra = {}) {
    std::string peers;
    for (auto p : ports)
      peers += (peers.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(p);
    std::vector<std::string> argv{DREF_NODE_BIN, "--backend", "raft", "--node-id", name(i),
                                  "--port", std::to_string(ports[i]), "--data-dir",
                                  (root / name(i)).string(), "--peers", peers,
                                  "--election-timeout-ms", "150", "--heartbeat-ms", "30",
                                  // Link cuts come from this test process.
                                  "--failpoints-network-faults"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    if (flags_of) {
      auto own = flags_of(i);
      argv.insert(argv.end(), own.begin(), own.end());
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    nodes[i] = std::make_unique<test::child_process>(argv, (root / (name(i) + ".log")).string());
  }

  // Starts member i again (stopped or dead) with its data directory, waits
  // until it listens and connects a new member handle and context to it.
  void restart(std::size_t i, std::vector<std::string> extra = {}) {
    contexts[i].reset();
    start(i, std::move(extra));
    BOOST_REQUIRE_MESSAGE(test::wait_until_listening(ports[i], 10s), "node " << i << " up again");
    members[i] = raft_member::connect(sys, "127.0.0.1", ports[i], 10s);
    contexts[i] = std::make_unique<context>(sys, members[i], options());
  }

  // One more process, started with --join: not a member until added.
  std::size_t start_joiner(std::vector<std::string> extra = {}) {
    auto i = ports.size();
    ports.push_back(test::free_loopback_port());
    nodes.push_back(nullptr);
    extra.insert(extra.begin(), "--join");
    start(i, extra);
    BOOST_REQUIRE_MESSAGE(test::wait_until_listening(ports[i], 10s), "joiner up");
    members.push_back(raft_member::connect(sys, "127.0.0.1", ports[i], std::chrono::seconds{10}));
    contexts.push_back(std::make_unique<context>(sys, members.back(), options()));
    return i;
  }

  std::string endpoint(std::size_t i) const { return "127.0.0.1:" + std::to_string(ports[i]); }
  std::string endpoints() const {
    std::string out;
    for (std::size_t i = 0; i < ports.size(); ++i)
      out += (out.empty() ? "" : ",") + endpoint(i);
    return out;
  }

  // The index of the member every reachable member names as leader.
  std::optional<std::size_t> leader(std::chrono::milliseconds within = 5s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (!nodes[i] || !nodes[i]->running())
          continue;
        auto st = members[i].status(sys, 500ms);
        if (st && st->role == "leader")
          return i;
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

  // Leadership away from member i (to the next one), so that stopping i
  // leaves a majority that goes on committing.
  void make_a_follower(std::size_t i) {
    auto now_leading = leader();
    BOOST_REQUIRE(now_leading);
    if (*now_leading == i) {
      auto moved = members[i].transfer_leadership(sys, name((i + 1) % 3), 10s);
      BOOST_REQUIRE_MESSAGE(moved.has_value(), (moved ? "" : moved.error().message));
    }
  }

  context& ctx(std::size_t i) { return *contexts.at(i); }

  std::vector<std::string> flags; // for every dref-node
  std::function<std::vector<std::string>(std::size_t)> flags_of;
  node_system_config cfg;
  caf::actor_system sys{cfg};
  fs::path root;
  std::vector<std::uint16_t> ports;
  std::vector<std::unique_ptr<test::child_process>> nodes;
  std::vector<raft_member> members;
  std::vector<std::unique_ptr<context>> contexts;
};

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quoted(const std::string& arg) {
  std::string out = "'";
  for (char ch : arg)
    out += ch == '\'' ? std::string{"'\\''"} : std::string(1, ch);
  return out + "'";
}

// Runs drefctl with args; its stdout, stderr and exit code.
inline cli_result drefctl(const std::vector<std::string>& args) {
  auto err_path = fs::temp_directory_path() / ("drefctl-err-" + std::to_string(::getpid()));
  std::string command = shell_quoted(DREFCTL_BIN);
  for (const auto& a : args)
    command += " " + shell_quoted(a);
  command += " 2>" + shell_quoted(err_path.string());
  cli_result out;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
    out.out.append(buffer, n);
  int status = ::pclose(pipe);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err{err_path};
  out.err.assign(std::istreambuf_iterator<char>{err}, {});
  fs::remove(err_path);
  return out;
}

inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

inline std::string file_text(const fs::path& path) {
  std::ifstream in{path};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

} // namespace dref::test
