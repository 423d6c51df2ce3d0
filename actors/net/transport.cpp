#include "dref/net/transport.hpp"

#include "dref/config/tls_files.hpp"
#include "dref/protocol/result.hpp"
#include "libssl_calls.hpp"
#include "peer_roles.hpp"
#include "tls_guard.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/timespan.hpp>
#include <netinet/in.h>

namespace dref::net {

namespace {

// CAF 0.17.6 starts a dialed connection's "last seen" at the clock's epoch
// until the first message from the other end arrives, so a heartbeat check
// in between drops it as timed out (sec::connection_timeout). Plain TCP is
// through that window in about a millisecond; a TLS handshake takes tens
// (more on a loaded machine). Measured with ticks every 30 ms: 6 of 15 TLS
// dials failed (at lower load: 2 of 12 plain, 1 of 12 TLS with the
// error-queue fix), and drefctl, which dials once, failed in 3 of 5 runs of
// the TLS cluster tests under load; with 1 s, none. Checks this far apart make it rare, and
// a failed dial is retried.
constexpr std::chrono::milliseconds min_tls_heartbeat{1000};

} // namespace

void configure(caf::actor_system_config& cfg, const config::tls& settings,
               std::chrono::milliseconds heartbeat, const config::network& bounds) {
  cfg.load<caf::io::middleman>();
  // Round trips on loopback halve with these (276 -> 127 us between two
  // processes on a 2-core machine, CAF 0.17.6).
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
  cfg.set("middleman.workers", std::size_t{0});
  cfg.set("logger.verbosity", caf::atom("quiet"));
  if (settings.enabled())
    heartbeat = std::max(heartbeat, min_tls_heartbeat);
  // CAF never notices a hung (not closed) peer unless heartbeats are on; a
  // peer silent for several heartbeats is as good as gone for Raft anyway.
  auto interval = std::chrono::duration_cast<caf::timespan>(heartbeat);
  cfg.set("middleman.heartbeat-interval", interval);
  cfg.set("middleman.connection-timeout", interval * 10);
  if (!settings.enabled())
    return;
  if (auto bad = config::check_tls_files(settings))
    throw error_exception(error{errc::invalid_config, *bad});
  // Setting any of these makes CAF require a certificate signed by the CA on
  // both ends of every connection (SSL_VERIFY_PEER |
  // SSL_VERIFY_FAIL_IF_NO_PEER_CERT); with none it would fall back to
  // anonymous ciphers, which is why only a complete setting loads the module.
  cfg.openssl_certificate = settings.certificate;
  cfg.openssl_key = settings.key;
  cfg.openssl_cafile = settings.ca;
  cfg.openssl_passphrase = settings.key_passphrase;
  cfg.load<caf::openssl::manager>(); // after the middleman, which it runs on
  detail::set_tls_bounds(bounds);
  [[maybe_unused]] bool linked = detail::libssl_calls_linked();
}

bool tls_enabled(caf::actor_system& sys) {
  return sys.has_openssl_manager();
}

caf::expected<std::uint16_t> publish(caf::actor_system& sys, const caf::actor& whom,
                                     std::uint16_t port, const std::string& host,
                                     bool reuse_address, plane served) {
  if (!tls_enabled(sys))
    return sys.middleman().publish(whom, port, host.c_str(), reuse_address);
  auto bound = caf::openssl::publish(whom, port, host.c_str(), reuse_address);
  if (bound && served == plane::clients)
    detail::serve_clients_on(*bound);
  return bound;
}

peer_role peer_role_of(const caf::node_id& node) {
  auto bytes = node_id_bytes(node);
  return bytes.empty() ? peer_role::none : detail::role_of_node(bytes);
}

caf::actor connector(caf::actor_system& sys) {
  if (tls_enabled(sys))
    return caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle());
  return caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
}

caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                       std::uint16_t port) {
  if (tls_enabled(sys))
    return caf::openssl::remote_actor(sys, host, port);
  return sys.middleman().remote_actor(host, port);
}

std::string describe_dial_failure(caf::actor_system& sys, const caf::error& err) {
  auto text = sys.render(err);
  // A plain dialer times out or sees the close, as its heartbeats decide.
  if (err == caf::sec::disconnect_during_handshake || err == caf::sec::connection_timeout)
    text += " (the other end did not complete the handshake: one end talks TLS and the other "
            "does not, or a certificate was refused; both ends need a certificate signed by a "
            "CA the other trusts)";
  return text;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

} // namespace dref::net
