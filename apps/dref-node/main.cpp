// dref-node: the cluster member daemon.
//   dref-node [--config FILE] [--key value ...]    see --help
// Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 2 invalid configuration or
// usage, 1 any other failure (port in use, unusable data directory).

#include <caf/all.hpp>
#include <csignal>
#include <caf/io/all.hpp>
#include <iostream>
#include <optional>

#include "dref/actors/node_system.hpp"
#include "dref/config/load.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/raft/log/dir_lock.hpp"
#include "dref/raft/log/wal.hpp"
#include "log.hpp"
#include "signals.hpp"

namespace {

constexpr const char* software_version = "0.1.0";

void print_usage() {
  std::cout << "usage: dref-node [--config FILE] [--key value ...]\n"
               "Runs one member of a dref cluster until SIGTERM or SIGINT.\n"
               "Exit codes: 0 clean shutdown, 2 invalid configuration, 1 other failure.\n\n"
            << dref::config::help_text();
}

// Answers the connection handshake; the raft node takes over this role.
caf::behavior node_actor(caf::event_based_actor*, dref::protocol::hello local) {
  return {
    [local](const dref::protocol::hello& remote) {
      auto reply = dref::protocol::answer_hello(local, remote);
      if (reply.refusal)
        dref::app::warn("refused node '" + remote.node_id + "': " + reply.refusal->message);
      return reply;
    },
  };
}

std::string describe_peers(const dref::config::node_config& cfg) {
  if (cfg.peers.empty())
    return "none";
  std::string out;
  for (const auto& peer : cfg.peers)
    out += (out.empty() ? "" : ", ") + peer.to_string();
  return out;
}

} // namespace

int main(int argc, char** argv) {
  dref::app::set_log_name("dref-node");
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--help" || arg == "-h") {
      print_usage();
      return 0;
    }
    if (arg == "--version") {
      std::cout << "dref-node " << software_version << '\n';
      return 0;
    }
  }
  auto cfg = dref::config::load(dref::config::inputs_from_main(argc, argv));
  if (!cfg) {
    dref::app::fail(cfg.error().message);
    return 2;
  }
  dref::app::block_termination_signals();

  std::optional<dref::raft::log::dir_lock> data_lock;
  if (cfg->backend == dref::config::backend_kind::raft) {
    auto lock = dref::raft::log::dir_lock::acquire(cfg->data_dir);
    if (!lock) {
      dref::app::fail(lock.error().message);
      return 1;
    }
    data_lock.emplace(std::move(*lock));
    dref::raft::log::wal::replay_report report;
    auto log = dref::raft::log::wal::open(
      {cfg->data_dir + "/wal"},
      [](std::uint8_t, std::string_view) -> dref::result<void> { return {}; }, &report);
    if (!log) {
      dref::app::fail("cannot open the log in " + cfg->data_dir + ": " + log.error().message);
      return 1;
    }
    dref::app::info("log in " + cfg->data_dir + ": " + std::to_string(report.records)
                    + " records in " + std::to_string(report.segments) + " segments"
                    + (report.torn_bytes_truncated
                         ? ", cut a torn tail of " + std::to_string(report.torn_bytes_truncated)
                             + " bytes"
                         : ""));
  }

  dref::node_system_config sys_cfg{*cfg};
  caf::actor_system sys{sys_cfg};
  dref::protocol::hello local{dref::protocol::wire_format_version, cfg->cluster_id, cfg->node_id,
                              software_version};
  auto node = sys.spawn(node_actor, local);
  auto port = sys.middleman().publish(node, cfg->port, cfg->listen_host.c_str());
  if (!port) {
    dref::app::fail("cannot listen on " + cfg->listen_host + ":" + std::to_string(cfg->port)
                    + ": " + sys.render(port.error()));
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return 1;
  }
  dref::app::info("node '" + cfg->node_id + "' of cluster '" + cfg->cluster_id + "' (backend "
                  + std::string{dref::config::to_string(cfg->backend)} + ") listening on "
                  + cfg->listen_host + ":" + std::to_string(*port)
                  + "; peers: " + describe_peers(*cfg));
  int signal = dref::app::wait_for_termination_signal();
  dref::app::info(std::string{"received "} + (signal == SIGTERM ? "SIGTERM" : "SIGINT")
                  + ", shutting down");
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return 0;
}
