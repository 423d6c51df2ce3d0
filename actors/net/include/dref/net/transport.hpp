#pragma once
// How this process's connections are made: plain TCP, or mutual TLS when
// the actor system was configured with a certificate, key and CA. The choice
// is made once per actor system (configure) and everything that listens or
// dials follows it through the functions below, so a member, its peer links
// and its clients can never disagree.

#include "dref/config/node_config.hpp"

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace dref::net {

// Loads the network layer into `cfg`, tuned for short round trips: CAF's
// middleman, with a heartbeat on
// every connection about every `heartbeat` (a peer silent for ten is
// dropped), and CAF's openssl module with the files of `settings` when
// settings.enabled(), bounded by `bounds` (for the whole process, see
// config::network). Throws error_exception (invalid_config) when the files
// cannot be used, since CAF would abort the process at the first connection
// instead.
void configure(caf::actor_system_config& cfg, const config::tls& settings,
               std::chrono::milliseconds heartbeat, const config::network& bounds = {});

// Whether `sys` talks mutual TLS (configure loaded the openssl module).
bool tls_enabled(caf::actor_system& sys);

// Which principals a listening port serves (docs/security.md, "Planes").
enum class plane { members, clients };

// Publishes an (untyped) actor on host:port over TLS or plain TCP; the port
// bound, or CAF's error. With TLS, a connection accepted on a clients' port
// is a client's whatever its certificate (peer_role_of).
caf::expected<std::uint16_t> publish(caf::actor_system& sys, const caf::actor& whom,
                                     std::uint16_t port, const std::string& host,
                                     bool reuse_address, plane served);

// Who a TLS peer is, least first: unknown (no TLS connection names it), a
// client (connected to a clients' port), an operator (a certificate whose
// subject has OU=operator), a member (any other certificate the members'
// CA signed, on a members' port or dialed).
enum class peer_role : std::uint8_t { none, client, operator_, member };

// The least role among this process's open TLS connections that named
// `node` in their handshake, other than those accepted on a clients' port
// (their messages go to another actor system): none when there are none.
// A connection may name only itself and carries only what its role may
// send (actors/net/peer_roles.hpp has the rules).
peer_role peer_role_of(const caf::node_id& node);

// The actor that dials for event-based actors:
//   request(connector(sys), timeout, caf::connect_atom::value, host, port)
//     -> (caf::node_id, caf::strong_actor_ptr, std::set<std::string>)
// (CAF's middleman actor interface), over TLS or plain TCP as `sys` does.
caf::actor connector(caf::actor_system& sys);

// Blocking dial of the (untyped) actor published at host:port.
caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                       std::uint16_t port);

// A failed dial in words. A TLS mismatch (one end plain, or a certificate
// the other end does not trust) reaches the dialer only as a connection
// closed (or timed out) during CAF's handshake; the text says so.
std::string describe_dial_failure(caf::actor_system& sys, const caf::error& err);

// 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost": addresses only this
// machine reaches. Any other name counts as reachable from elsewhere.
bool is_loopback(const std::string& host);

} // namespace dref::net
