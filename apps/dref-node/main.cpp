// dref-node: the cluster member daemon.
//   dref-node [--config FILE] [--key value ...]    see --help
// Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 2 invalid configuration or
// usage, 1 any other failure to start (port in use, unusable or corrupt data
// directory), 3 the member stopped on its own while running (its storage
// failed, e.g. an fsync): fail-stop, so that a supervisor restarts it from
// what is on disk instead of it staying up without a working member.

#include "dref/actors/node_system.hpp"
#include "dref/backends/raft/node.hpp"
#include "dref/config/load.hpp"
#include "dref/gateway.hpp"
#include "dref/leader_hooks.hpp"
#include "dref/log.hpp"
#include "dref/plugin.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/version.hpp"
#include "log.hpp"
#include "signals.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

namespace {

void print_usage() {
  std::cout << "usage: dref-node [--config FILE] [--join] [--snapshot-every N] [--plugin PATH]\n"
               "                 [--key value ...]\n"
               "Runs one member of a dref cluster (backend raft) until SIGTERM or SIGINT.\n"
               "A fresh cluster forms once every configured peer answered; --join starts a\n"
               "newcomer that waits to be added by the leader (drefctl members add).\n"
               "--snapshot-every N: applied entries between snapshots (default 10000).\n"
               "--plugin PATH (repeatable): a shared library of named commands and queries\n"
               "(dref/plugin.hpp); every member of a cluster must load the same ones.\n"
               "Exit codes: 0 clean shutdown, 1 failed to start, 2 invalid configuration,\n"
               "3 the member stopped while running (e.g. a failed fsync): restart it.\n\n"
            << dref::config::help_text();
}

std::string describe_peers(const dref::config::node_config& cfg) {
  if (cfg.peers.empty())
    return "none";
  std::string out;
  for (const auto& peer : cfg.peers)
    out += (out.empty() ? "" : ", ") + peer.to_string();
  return out;
}

// Exit code when the member stopped by itself (see the top of this file).
constexpr int member_stopped_exit_code = 3;

// Runs until SIGTERM/SIGINT (0) or until the member stops on its own (3).
// A signal thread has a leader hand over (hand_over_leadership) and then
// asks the node to stop; this thread watches the node, so either way it
// learns at once that the node is gone and why.
int run_until_stopped(caf::actor_system& sys, const caf::actor& node, const std::string& name,
                      std::chrono::milliseconds hand_over_patience) {
  std::atomic<bool> shutdown_requested{false};
  caf::scoped_actor watcher{sys};
  watcher->monitor(node);
  std::thread signal_waiter{[&] {
    int signal = dref::app::wait_for_termination_signal();
    dref::app::info(std::string{"received "} + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                    ", shutting down");
    shutdown_requested = true;
    dref::raft::node::hand_over_leadership(node, hand_over_patience);
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  }};
  caf::error reason;
  watcher->receive([&](const caf::down_msg& down) { reason = down.reason; });
  if (shutdown_requested) {
    signal_waiter.join();
    return 0;
  }
  auto why = reason ? dref::from_caf_error(reason).message : std::string{"no reason given"};
  dref::app::fail("member '" + name + "' stopped: " + why + "; exiting with code " +
                  std::to_string(member_stopped_exit_code) +
                  " so that a supervisor restarts it from its data directory");
  // Fail-stop: leave now rather than through the actor system's orderly
  // shutdown, which waits for every actor and connection and could keep a
  // member that no longer works looking alive. Nothing in memory needs
  // saving: what was acknowledged is on disk, and the kernel drops the
  // data-directory lock with the process.
  std::fflush(nullptr);
  std::_Exit(member_stopped_exit_code);
}

} // namespace

int main(int argc, char** argv) {
  dref::app::set_log_name("dref-node");
  dref::set_log_sink([](dref::log_level level, std::string_view message) {
    dref::app::log(static_cast<dref::app::level>(level), message);
  });
  bool join = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--help" || arg == "-h") {
      print_usage();
      return 0;
    }
    if (arg == "--join") {
      join = true;
      continue;
    }
    if (arg == "--version") {
      std::cout << "dref-node " << dref::version << '\n';
      return 0;
    }
  }
  // --join, --snapshot-every and --plugin are this program's own flags; the
  // rest is configuration.
  std::optional<std::uint64_t> snapshot_every;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--join")
      continue;
    if (arg == "--plugin") {
      if (i + 1 >= argc) {
        dref::app::fail("--plugin needs the path of a shared library");
        return 2;
      }
      if (auto loaded = dref::load_plugin(argv[++i], dref::commands()); !loaded) {
        dref::app::fail(loaded.error().message);
        return 2;
      }
      continue;
    }
    if (arg == "--snapshot-every") {
      std::uint64_t n = 0;
      std::string_view text = i + 1 < argc ? std::string_view{argv[i + 1]} : std::string_view{};
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n == 0) {
        dref::app::fail("--snapshot-every needs a positive number of entries");
        return 2;
      }
      snapshot_every = n;
      ++i;
      continue;
    }
    args.push_back(argv[i]);
  }
  auto cfg = dref::config::load(
      dref::config::inputs_from_main(static_cast<int>(args.size()), args.data()));
  if (!cfg) {
    dref::app::fail(cfg.error().message);
    return 2;
  }
  dref::app::block_termination_signals();

  dref::node_system_config sys_cfg{*cfg};
  if (cfg->backend == dref::config::backend_kind::raft)
    sys_cfg.schedule_as_a_raft_member();
  caf::actor_system sys{sys_cfg};
  caf::actor node;
  std::uint16_t port = 0;
  std::uint16_t member_port = 0;
  // Closed before sys goes away (declared after it).
  std::shared_ptr<dref::raft::node::client_port> clients;
  switch (cfg->backend) {
    case dref::config::backend_kind::raft: {
      auto options = dref::raft::node::options_from(*cfg);
      options.join = join;
      options.commands = dref::registered_commands();
      options.hooks = dref::registered_leader_hooks();
      if (snapshot_every)
        options.snapshot_every = *snapshot_every;
      auto started = dref::raft::node::start_node(sys, options);
      if (!started) {
        dref::app::fail(started.error().message);
        return started.error().code == dref::errc::invalid_config ? 2 : 1;
      }
      node = started->actor;
      port = started->port;
      member_port = started->member_port;
      clients = std::move(started->clients);
      break;
    }
    default:
      dref::app::fail("dref-node runs the raft backend; backend '" +
                      std::string{dref::config::to_string(cfg->backend)} +
                      "' is used in-process through dref::context (set backend = \"raft\")");
      return 2;
  }
  dref::app::info("node '" + cfg->node_id + "' of cluster '" + cfg->cluster_id + "' listening on " +
                  cfg->listen_host + ":" + std::to_string(port) +
                  " (clients) and :" + std::to_string(member_port) + " (members)" + "; data in " +
                  cfg->data_dir + "; peers: " + describe_peers(*cfg) +
                  (join ? " (joining an existing cluster)" : ""));
  auto gateway = dref::gateway::start(sys, node, port, *cfg); // off unless http.port is set
  if (!gateway) {
    dref::app::fail(gateway.error().message);
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return gateway.error().code == dref::errc::invalid_config ? 2 : 1;
  }
  // A leader that stops hands over first, within two election timeouts.
  return run_until_stopped(sys, node, cfg->node_id, cfg->timeouts.election * 2);
}
