#pragma once
// Bounds on the TLS connections CAF 0.17.6 serves, which has none of its
// own (docs/security.md, "Bounds"): how many accepted connections are open
// at once, how long an accepted one may take over its TLS handshake, and
// how large a message a connection may announce (basp_frames.hpp). CAF's
// openssl module is not changed; libssl_calls.cpp hands the guard each
// libssl call that module makes, and a connection over a bound is closed by
// failing that call (CAF then drops the connection as broken) or, for a
// handshake that never proceeds, by shutting its socket down from the
// guard's own thread.
//
// The bounds hold for the whole process (all its actor systems): the last
// set_tls_bounds wins. Refusals are counted and reported on stderr, at most
// once a second per kind.

#include "dref/config/node_config.hpp"
#include "dref/net/transport.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

typedef struct ssl_st SSL;

namespace dref::net::detail {

// A max_message_bytes beyond a BASP length (32 bits) counts as no bound.
void set_tls_bounds(const config::network& bounds);

struct tls_guard_counts {
  std::uint64_t refused_connections = 0; // over max_connections
  std::uint64_t handshake_timeouts = 0;
  std::uint64_t oversized_messages = 0;
  std::uint64_t forbidden_frames = 0; // peer_roles.hpp
  std::size_t open_connections = 0;   // accepted, not yet freed
};

tls_guard_counts tls_guard_counts_now();

// Whether a libssl call returning to `return_address` was made by CAF's
// openssl module (libcaf_openssl): the guard looks at nothing else, so the
// HTTP gateway's and the redis client's TLS are left alone.
bool called_by_caf(const void* return_address);

// A port of this process that serves clients (transport.hpp, plane).
void serve_clients_on(std::uint16_t port);

// peer_role_of's answer, for a node id as CAF serialises it.
peer_role role_of_node(std::span<const unsigned char> node);

// The hooks, for CAF's calls only. False: fail the call.
bool admit_accept(SSL* ssl);                             // before each SSL_accept
void accept_returned(SSL* ssl, int result);              // after it
bool admit_read(SSL* ssl, const void* bytes, int count); // after an SSL_read that read bytes
void forget(SSL* ssl);                                   // before SSL_free

} // namespace dref::net::detail
