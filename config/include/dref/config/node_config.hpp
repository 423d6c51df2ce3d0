#pragma once
// The configuration of one dref node: what every app and backend reads.
// Loaded by dref::config::load() from defaults, a TOML file, DREF_*
// environment variables and the command line, later sources winning.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dref::config {

enum class backend_kind { memory, raft, redis };

std::string_view to_string(backend_kind kind) noexcept;

struct endpoint {
  std::string host; // an IP address or a DNS name
  std::uint16_t port = 0;

  std::string to_string() const; // "host:port", IPv6 as "[::1]:port"
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

// A raft member listens on two ports (docs/security.md, "Planes"): clients
// dial its client port, the one configured and listed everywhere
// (node.port, peers, drefctl --endpoints); members and operators dial the
// port above it, its member port. This is the one place that says so.
endpoint member_port_of(const endpoint& client_port);

struct timeouts {
  std::chrono::milliseconds election{300};
  std::chrono::milliseconds heartbeat{50};
  std::chrono::milliseconds session_ttl{3000};
  std::chrono::milliseconds request{5000};
  friend bool operator==(const timeouts&, const timeouts&) = default;
};

struct limits {
  std::uint64_t max_value_bytes = 1 << 20;
  std::uint32_t max_id_length = 256;
  std::uint64_t topic_max_messages = 10'000; // retained per topic
  // Retry answers kept per client and in total (store/limits.hpp).
  std::uint64_t max_cached_reply_bytes_per_client = 2ull << 20;
  std::uint64_t max_cached_reply_bytes = 64ull << 20;
  friend bool operator==(const limits&, const limits&) = default;
};

// Fault injection, for tests only: every one is off by default and must
// stay off in production.
struct failpoints {
  // The N-th fsync of the raft WAL (and every later one) fails as if the
  // disk returned EIO, so the member stops (dref-node exits 3). 0: off.
  std::uint64_t fail_fsync_after = 0;
  // This member's wall clock reads this far ahead (negative: behind). Only
  // a fresh cluster's first leader reads it at all, so sessions must
  // expire as they would without it. 0: off.
  std::chrono::milliseconds wall_clock_skew{0};
  // Link cuts (the fault message) are taken from the network, on the member
  // port, as the process-level failure drills need; otherwise only from
  // this process.
  bool network_faults = false;
  friend bool operator==(const failpoints&, const failpoints&) = default;
};

// Bounds on the TLS connections this process accepts and reads, the same
// for each of its ports, and on what a member's client port holds for its
// clients (docs/security.md, "Bounds"). Plain TCP has only the latter:
// without TLS a member listens on loopback only, unless told --insecure.
struct network {
  // The largest message a connection may announce; a larger one closes it.
  // Unless given, load() raises it to what limits.max_value_bytes needs
  // (min_message_bytes); a smaller value given is refused.
  std::uint64_t max_message_bytes = 128ull << 20;
  std::uint32_t max_connections = 512; // accepted and open at once
  // An accepted connection that has not finished its TLS handshake by then
  // is closed.
  std::chrono::milliseconds handshake_timeout{10000};
  // A member's client port, with or without TLS: requests of all its
  // clients waiting for an answer at once, and watchers (one per watching
  // client actor) served at once; beyond, limit_exceeded.
  std::uint32_t max_pending_requests = 65536;
  std::uint32_t max_watchers = 65536;
  friend bool operator==(const network&, const network&) = default;
};

// The least network.max_message_bytes may be: a value's write and its change
// event (old and new value), or a full page of a topic, with room for the
// rest of the message.
std::uint64_t min_message_bytes(const limits& lim);

// Mutual TLS for every connection of this node, members and clients alike
// (docs/security.md). load() takes all three paths or none: with them, each
// connection is encrypted and both ends must show a certificate signed by a
// CA in `ca`; without, connections are plain TCP.
struct tls {
  std::string certificate;    // PEM: this node's certificate (chain)
  std::string key;            // PEM: its private key
  std::string ca;             // PEM: the CAs whose certificates are accepted
  std::string key_passphrase; // if `key` is encrypted
  // A member's client port accepts certificates signed by this CA; empty:
  // by `ca`, so that any certificate the cluster's CA signed is also a
  // member's (docs/security.md, "Planes").
  std::string client_ca;

  bool enabled() const noexcept { return !certificate.empty(); }
  friend bool operator==(const tls&, const tls&) = default;
};

// How the redis backend reaches its server (docs/security.md, "Redis"): an
// optional password (requirepass) or ACL user and password, sent with AUTH
// on every connection, and optional TLS that verifies the server's
// certificate against `tls_ca` and its name against `tls_server_name`.
// load() checks the combinations and the files, and reads password_file
// into `password`.
struct redis_security {
  std::string username;      // ACL user; needs a password
  std::string password;      // from redis.password or the first line of password_file
  std::string password_file; // where the password came from, if from a file
  bool tls = false;
  std::string tls_ca;          // PEM: the CAs the server's certificate must be signed by
  std::string tls_certificate; // PEM: a client certificate (tls-auth-clients yes), with tls_key
  std::string tls_key;
  std::string tls_server_name; // SNI and the name checked; empty: the host of redis.address

  friend bool operator==(const redis_security&, const redis_security&) = default;
};

// The HTTP gateway of a member (docs/http.md): off while port is 0. Without
// tokens_file it refuses a non-loopback listen address (anyone reaching the
// port could read and write); with it, every route but the probes needs a
// bearer token whose role is high enough.
struct http {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 0;
  std::string tokens_file;                 // lines of "token role", role read, write or admin
  std::uint64_t max_body_bytes = 2u << 20; // larger request bodies: 413
  std::uint32_t max_header_bytes = 8192;   // larger request headers: 431
  // A request, headers then body, must arrive within this (slow clients are
  // cut off); also how long a kept-alive connection may sit idle.
  std::chrono::milliseconds header_timeout{10000};
  std::uint32_t max_connections = 256; // beyond: 503 and closed
  // WebSocket streams (watches, topic subscriptions, the dashboard) open at
  // once; they count as connections too. Beyond: 503 before the upgrade.
  std::uint32_t max_websockets = 64;
  // Threads that run the routes: each blocks on the member for as long as
  // its call takes (a commit, a read round), so these many requests are
  // served at once; more wait in line.
  std::uint32_t workers = 32;
  // Bytes a stream may have queued for a client that does not read them;
  // beyond, the stream is closed with a reason instead of growing.
  std::uint64_t max_stream_backlog_bytes = 1u << 20;
  friend bool operator==(const http&, const http&) = default;
};

struct node_config {
  std::string node_id = "node-1";
  std::string cluster_id = "dref";
  std::string listen_host = "127.0.0.1";
  // DREF_PORT: the client port of every member; its member port is the one
  // above (member_port_of).
  std::uint16_t port = 8082;
  std::string data_dir; // required by the raft backend
  backend_kind backend = backend_kind::memory;

  // Members of the cluster, this node included or not. Explicit peers
  // plus every address (and every resolved address of every service)
  // combined with `port`, without duplicates, in the order given.
  std::vector<endpoint> peers;
  std::vector<std::string> node_addresses; // DREF_NODE_ADDRESSES
  std::vector<std::string> node_services;  // DREF_NODE_SERVICES, resolved on load

  endpoint redis{"127.0.0.1", 6379};
  std::string redis_key_prefix = "dref:";
  dref::config::redis_security redis_security;

  dref::config::timeouts timeouts;
  dref::config::limits limits;
  dref::config::failpoints failpoints; // tests only

  dref::config::tls tls;
  dref::config::network network;
  // Listen on a non-loopback address without TLS all the same (raft members
  // refuse to otherwise: anyone who reaches the port could write).
  bool insecure = false;

  dref::config::http http;

  friend bool operator==(const node_config&, const node_config&) = default;
};

} // namespace dref::config
