#include "client_port.hpp"
#include "dref/backends/raft/node.hpp"
#include "dref/backends/seam/limits_from.hpp"
#include "dref/log.hpp"
#include "dref/net/transport.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "node_state.hpp"

#include <arpa/inet.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace dref::raft::node {
namespace {

// Whether host:port can be bound now; errno tells why not.
bool bindable(const std::string& host, std::uint16_t port, std::uint16_t* bound = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (ok && bound)
    *bound = ntohs(addr.sin_port);
  return ok;
}

// A client port the OS says is free now, with its member port above it
// free too (for tests and port 0): bound, read back, closed, then
// published with SO_REUSEADDR. Another process could take them in
// between; publish then fails with a clear error.
result<std::uint16_t> pick_free_port(const std::string& host) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint16_t port = 0;
    if (!bindable(host, 0, &port))
      return error{errc::io_failed, "no free port on " + host + ": " + std::strerror(errno)};
    if (port < 65535 && bindable(host, port + 1))
      return port;
  }
  return error{errc::io_failed, "no two free ports in a row on " + host};
}

} // namespace

node_options options_from(const config::node_config& cfg) {
  node_options out;
  out.name = cfg.node_id;
  out.cluster_id = cfg.cluster_id;
  out.data_dir = cfg.data_dir;
  out.listen_host = cfg.listen_host;
  out.insecure = cfg.insecure;
  out.port = cfg.port;
  out.peers = cfg.peers;
  out.heartbeat = cfg.timeouts.heartbeat;
  out.election = cfg.timeouts.election;
  out.request_timeout = cfg.timeouts.request;
  out.limits = backend::limits_from(cfg);
  out.fail_wal_fsync_after = cfg.failpoints.fail_fsync_after;
  out.wall_clock_skew = cfg.failpoints.wall_clock_skew;
  out.network_faults = cfg.failpoints.network_faults;
  out.client_tls = cfg.tls;
  out.network = cfg.network;
  if (!cfg.tls.client_ca.empty())
    out.client_tls.ca = cfg.tls.client_ca;
  return out;
}

result<started_node> start_node(caf::actor_system& sys, node_options options) {
  if (options.data_dir.empty())
    return error{errc::invalid_config, "the raft backend needs a data directory (data_dir, "
                                       "DREF_DATA_DIR or --data-dir)"};
  if (options.name.empty())
    return error{errc::invalid_config, "the node needs a name (node_id)"};
  // Protected mode: a member answers writes and membership changes from
  // anyone who reaches its port, so only this machine may reach it unless
  // both ends must prove who they are.
  if (!net::tls_enabled(sys) && !net::is_loopback(options.listen_host) && !options.insecure)
    return error{errc::invalid_config,
                 "refusing to listen on " + options.listen_host +
                     " without TLS: anyone who reaches it could read and change every value "
                     "and the membership. Set tls.certificate, tls.key and tls.ca "
                     "(--tls-certificate, --tls-key, --tls-ca; docs/security.md), listen on "
                     "a loopback address, or accept the risk with --insecure "
                     "(node.insecure, DREF_INSECURE=true)"};
  if (net::tls_enabled(sys) != options.client_tls.enabled())
    return error{errc::invalid_config,
                 "the member port and the client port must both use TLS or neither (the actor "
                 "system and node_options::client_tls disagree)"};
  auto lock = storage::dir_lock::acquire(options.data_dir);
  if (!lock)
    return std::move(lock).error();
  core::persisted_state restored;
  storage::recovery_report report;
  storage::wal::failpoints faults;
  faults.fail_sync_at = options.fail_wal_fsync_after;
  if (options.network_faults)
    log(log_level::warn, "node " + options.name +
                             ": test failpoint set: link cuts are taken "
                             "from the network (failpoints.network_faults); never use this in "
                             "production");
  if (faults.fail_sync_at != 0)
    log(log_level::warn, "node " + options.name + ": test failpoint set: WAL fsync number " +
                             std::to_string(faults.fail_sync_at) +
                             " will fail (failpoints.fail_fsync_after); never use this in "
                             "production");
  auto storage = storage::raft_storage::open(options.data_dir, restored, &report, faults);
  if (!storage)
    return std::move(storage).error();
  if (report.log.torn_bytes_truncated > 0)
    log(log_level::warn, "node " + options.name + ": cut " +
                             std::to_string(report.log.torn_bytes_truncated) +
                             " bytes of an unfinished write off the end of the log");
  for (const auto& name : report.stray_files)
    log(log_level::warn, "node " + options.name + ": skipping " + options.data_dir + "/" + name +
                             ": not a WAL segment, snapshot or lock file of this data directory");
  for (const auto& name : report.unfinished_snapshots)
    log(log_level::info, "node " + options.name + ": removed " + options.data_dir + "/" + name +
                             ", left by a snapshot save that did not finish");
  for (const auto& why : report.skipped_snapshots)
    log(log_level::warn, "node " + options.name + ": skipping a damaged snapshot, " + why);

  auto state = std::make_shared<node_state>();
  state->options = options;
  state->self_id = member_id(options.name);
  state->disk.emplace(std::move(*lock), std::move(*storage), options.snapshot_every,
                      state->self_id);
  state->restored = std::move(restored);
  state->machine = state_machine{options.limits, options.name, options.commands};
  state->hello = protocol::hello{protocol::wire_format_version, options.cluster_id, options.name,
                                 options.software_version};
  state->limits_offer = protocol::limits_offer{options.name, store::by_name(options.limits),
                                               state->machine.store().commands()->fingerprint()};
  state->tls = net::tls_enabled(sys);
  state->hooks = leader_hook_calls{options.hooks, options.name, restarted(state->restored),
                                   [name = options.name](const std::string& failed) {
                                     log(log_level::error, "node " + name + ": " + failed);
                                   }};

  auto port =
      options.port != 0 ? result<std::uint16_t>{options.port} : pick_free_port(options.listen_host);
  if (!port)
    return std::move(port).error();
  state->members =
      member_directory<caf::actor>{config::endpoint{options.listen_host, *port}.to_string()};
  // Not detached: saves fsync on the storage writer's own thread
  // (storage_writer.hpp), and CAF 0.17's detached actors can keep
  // ~actor_system waiting for ever (CAF issues #1196, #1110; seen here when
  // several systems share a process).
  auto actor = sys.spawn([state](node_actor* self) {
    self->state = std::move(*state);
    caf::weak_actor_ptr weak{self->ctrl()};
    self->state.disk->start([weak] {
      if (auto strong = weak.lock())
        caf::anon_send(caf::actor_cast<caf::actor>(strong), persisted_atom::value);
    });
    return node_behavior(self);
  });
  auto member_port = config::member_port_of({options.listen_host, *port}).port;
  auto published =
      member_port == 0
          ? caf::expected<std::uint16_t>{caf::sec::cannot_publish_invalid_actor}
          : net::publish(sys, actor, member_port, options.listen_host, true, net::plane::members);
  if (!published) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return error{errc::io_failed, "cannot listen for members on " + options.listen_host + ":" +
                                      std::to_string(member_port) +
                                      " (the client port + 1): " + sys.render(published.error())};
  }
  client_port_options clients;
  clients.host = options.listen_host;
  clients.port = *port;
  clients.tls = options.client_tls;
  clients.network = options.network;
  clients.max_calls = options.network.max_pending_requests;
  clients.max_watchers = options.network.max_watchers;
  clients.heartbeat = options.heartbeat;
  clients.call_timeout = options.request_timeout * 2;
  clients.limits = options.limits;
  auto opened = client_port::open(actor, std::move(clients));
  if (!opened) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return std::move(opened).error();
  }
  if (options.client_tls.enabled() && options.client_tls.ca == sys.config().openssl_cafile)
    log(log_level::warn, "node " + options.name +
                             ": clients and members are signed by the "
                             "same CA (tls.client_ca unset): any client certificate can also act "
                             "as a member; see docs/security.md, \"Planes\"");
  return started_node{actor, *port, member_port, std::move(*opened)};
}

} // namespace dref::raft::node
