#include "keys.hpp"

#include "value_checks.hpp"

#include <limits>

namespace dref::config::detail {

namespace {

template <auto Member>
problem assign_plain_id(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (!is_plain_id(text))
    return "'" + text + "' is not a plain id";
  cfg.*Member = text;
  return std::nullopt;
}

problem assign_listen_host(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (!is_ip_address(text) && !is_dns_name(text))
    return "'" + text + "' is neither an IP address nor a host name";
  cfg.listen_host = text;
  return std::nullopt;
}

problem assign_port(node_config& cfg, const raw_value& value) {
  // The member port is the one above (member_port_of).
  return integer_in(value, 1, 65534, cfg.port);
}

problem assign_data_dir(node_config& cfg, const raw_value& value) {
  cfg.data_dir = std::get<std::string>(value);
  return std::nullopt;
}

problem assign_backend(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (text == "memory")
    cfg.backend = backend_kind::memory;
  else if (text == "raft")
    cfg.backend = backend_kind::raft;
  else if (text == "redis")
    cfg.backend = backend_kind::redis;
  else
    return "'" + text + "' is not a backend";
  return std::nullopt;
}

problem assign_peers(node_config& cfg, const raw_value& value) {
  std::vector<endpoint> peers;
  for (const auto& item : std::get<std::vector<std::string>>(value)) {
    auto parsed = parse_endpoint(item);
    if (auto* bad = std::get_if<std::string>(&parsed))
      return *bad;
    peers.push_back(std::get<endpoint>(parsed));
  }
  cfg.peers = std::move(peers);
  return std::nullopt;
}

problem assign_node_addresses(node_config& cfg, const raw_value& value) {
  const auto& items = std::get<std::vector<std::string>>(value);
  for (const auto& item : items)
    if (!is_ip_address(item))
      return "'" + item + "' is not an IP address";
  cfg.node_addresses = items;
  return std::nullopt;
}

problem assign_node_services(node_config& cfg, const raw_value& value) {
  const auto& items = std::get<std::vector<std::string>>(value);
  for (const auto& item : items)
    if (!is_dns_name(item))
      return "'" + item + "' is not a DNS name";
  cfg.node_services = items;
  return std::nullopt;
}

problem assign_redis_address(node_config& cfg, const raw_value& value) {
  auto parsed = parse_endpoint(std::get<std::string>(value));
  if (auto* bad = std::get_if<std::string>(&parsed))
    return *bad;
  cfg.redis = std::get<endpoint>(parsed);
  return std::nullopt;
}

problem assign_redis_key_prefix(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (text.size() > 128 || text.find_first_of(" \t\r\n") != std::string::npos)
    return "'" + text + "' has white space or is too long";
  cfg.redis_key_prefix = text;
  return std::nullopt;
}

problem assign_redis_text(std::string redis_security::*member, node_config& cfg,
                          const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (text.empty())
    return std::string{"it is empty"};
  cfg.redis_security.*member = text;
  return std::nullopt;
}

template <std::string redis_security::*Member>
problem assign_redis_setting(node_config& cfg, const raw_value& value) {
  return assign_redis_text(Member, cfg, value);
}

problem assign_redis_tls(node_config& cfg, const raw_value& value) {
  cfg.redis_security.tls = std::get<bool>(value);
  return std::nullopt;
}

problem assign_election(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 10, 60000, cfg.timeouts.election);
}
problem assign_heartbeat(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 1, 10000, cfg.timeouts.heartbeat);
}
problem assign_session_ttl(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 100, 86400000, cfg.timeouts.session_ttl);
}
problem assign_request(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 1, 3600000, cfg.timeouts.request);
}
problem assign_max_value_bytes(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, std::int64_t{1} << 30, cfg.limits.max_value_bytes);
}
problem assign_max_id_length(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 4096, cfg.limits.max_id_length);
}
problem assign_topic_max_messages(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 100'000'000, cfg.limits.topic_max_messages);
}

problem assign_max_cached_reply_bytes_per_client(node_config& cfg, const raw_value& value) {
  return integer_in(value, 4096, std::int64_t{1} << 40,
                    cfg.limits.max_cached_reply_bytes_per_client);
}
problem assign_max_cached_reply_bytes(node_config& cfg, const raw_value& value) {
  return integer_in(value, 4096, std::int64_t{1} << 40, cfg.limits.max_cached_reply_bytes);
}

problem assign_wall_clock_skew(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, -86'400'000, 86'400'000, cfg.failpoints.wall_clock_skew);
}

problem assign_fail_fsync_after(node_config& cfg, const raw_value& value) {
  return integer_in(value, 0, 1'000'000'000, cfg.failpoints.fail_fsync_after);
}

// Paths only: whether the files hold a usable certificate and key is
// checked once every source is read (check_tls_files), so that one message
// can speak of all of them.
template <auto Member>
problem assign_tls_path(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (text.empty())
    return std::string{"the path is empty"};
  cfg.tls.*Member = text;
  return std::nullopt;
}

problem assign_key_passphrase(node_config& cfg, const raw_value& value) {
  cfg.tls.key_passphrase = std::get<std::string>(value);
  return std::nullopt;
}

problem assign_network_faults(node_config& cfg, const raw_value& value) {
  cfg.failpoints.network_faults = std::get<bool>(value);
  return std::nullopt;
}

problem assign_max_message_bytes(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1 << 20, (std::int64_t{4} << 30) - 1, cfg.network.max_message_bytes);
}
problem assign_max_connections(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 65536, cfg.network.max_connections);
}
problem assign_max_pending_requests(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 1'000'000, cfg.network.max_pending_requests);
}
problem assign_max_watchers(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 1'000'000, cfg.network.max_watchers);
}
problem assign_handshake_timeout(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 100, 600'000, cfg.network.handshake_timeout);
}

problem assign_insecure(node_config& cfg, const raw_value& value) {
  cfg.insecure = std::get<bool>(value);
  return std::nullopt;
}

problem assign_http_listen(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (!is_ip_address(text) && !is_dns_name(text))
    return "'" + text + "' is neither an IP address nor a host name";
  cfg.http.listen = text;
  return std::nullopt;
}
problem assign_http_port(node_config& cfg, const raw_value& value) {
  return integer_in(value, 0, 65535, cfg.http.port);
}
problem assign_http_tokens_file(node_config& cfg, const raw_value& value) {
  const auto& text = std::get<std::string>(value);
  if (text.empty())
    return std::string{"the path is empty"};
  cfg.http.tokens_file = text;
  return std::nullopt;
}
problem assign_http_max_body_bytes(node_config& cfg, const raw_value& value) {
  return integer_in(value, 64, std::int64_t{1} << 31, cfg.http.max_body_bytes);
}
problem assign_http_max_header_bytes(node_config& cfg, const raw_value& value) {
  return integer_in(value, 256, 1 << 20, cfg.http.max_header_bytes);
}
problem assign_http_header_timeout(node_config& cfg, const raw_value& value) {
  return milliseconds_in(value, 10, 3600000, cfg.http.header_timeout);
}
problem assign_http_max_connections(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 1'000'000, cfg.http.max_connections);
}
problem assign_http_max_websockets(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 1'000'000, cfg.http.max_websockets);
}
problem assign_http_workers(node_config& cfg, const raw_value& value) {
  return integer_in(value, 1, 1024, cfg.http.workers);
}
problem assign_http_max_stream_backlog(node_config& cfg, const raw_value& value) {
  return integer_in(value, 4096, std::int64_t{1} << 31, cfg.http.max_stream_backlog_bytes);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

template <std::string redis_security::*Member>
std::string current_redis_setting(const node_config& c) {
  return c.redis_security.*Member;
}

std::string no_default(const node_config&) {
  return {};
}

std::string millis(std::chrono::milliseconds value) {
  return std::to_string(value.count());
}

const key_spec keys[] = {
    {"node.id", "DREF_NODE_ID", "node-id", value_kind::text,
     "1-64 characters of letters, digits, '-', '_' or '.'", "this node's id, unique in the cluster",
     assign_plain_id<&node_config::node_id>, [](const node_config& c) { return c.node_id; }},
    {"node.cluster_id", "DREF_CLUSTER_ID", "cluster-id", value_kind::text,
     "1-64 characters of letters, digits, '-', '_' or '.'",
     "nodes of other clusters are refused at the handshake",
     assign_plain_id<&node_config::cluster_id>, [](const node_config& c) { return c.cluster_id; }},
    {"node.listen_host", "DREF_LISTEN_HOST", "listen-host", value_kind::text,
     "an IP address or a host name", "address the node listens on", assign_listen_host,
     [](const node_config& c) { return c.listen_host; }},
    {"node.port", "DREF_PORT", "port", value_kind::integer, "a port number 1-65534",
     "client port of every member (members talk on the port above it)", assign_port,
     [](const node_config& c) { return std::to_string(c.port); }},
    {"node.data_dir", "DREF_DATA_DIR", "data-dir", value_kind::text, "a directory path",
     "where the raft backend keeps its log and snapshots", assign_data_dir,
     [](const node_config& c) { return c.data_dir; }},
    {"node.backend", "DREF_BACKEND", "backend", value_kind::text, "memory, raft or redis",
     "where the state lives", assign_backend,
     [](const node_config& c) { return std::string{to_string(c.backend)}; }},
    {"cluster.peers", "DREF_PEERS", "peers", value_kind::text_list,
     "a list of host:port ([v6]:port for IPv6)", "members given with their own ports", assign_peers,
     [](const node_config& c) {
       std::vector<std::string> out;
       for (const auto& peer : c.peers)
         out.push_back(peer.to_string());
       return join(out);
     }},
    {"cluster.node_addresses", "DREF_NODE_ADDRESSES", "node-addresses", value_kind::text_list,
     "a list of IPv4 or IPv6 addresses", "members, each on the cluster port", assign_node_addresses,
     [](const node_config& c) { return join(c.node_addresses); }},
    {"cluster.node_services", "DREF_NODE_SERVICES", "node-services", value_kind::text_list,
     "a list of DNS names", "resolved to all their addresses, each a member on the cluster port",
     assign_node_services, [](const node_config& c) { return join(c.node_services); }},
    {"redis.address", "DREF_REDIS_ADDRESS", "redis-address", value_kind::text,
     "host:port ([v6]:port for IPv6)", "the Redis server of the redis backend",
     assign_redis_address, [](const node_config& c) { return c.redis.to_string(); }},
    {"redis.key_prefix", "DREF_REDIS_KEY_PREFIX", "redis-key-prefix", value_kind::text,
     "up to 128 characters, no white space", "namespace for every key dref writes to Redis",
     assign_redis_key_prefix, [](const node_config& c) { return c.redis_key_prefix; }},
    {"redis.username", "DREF_REDIS_USERNAME", "redis-username", value_kind::text,
     "an ACL user name",
     "the Redis ACL user the redis backend logs in as (AUTH user password); needs a password",
     assign_redis_setting<&redis_security::username>,
     current_redis_setting<&redis_security::username>},
    {"redis.password", "DREF_REDIS_PASSWORD", "redis-password", value_kind::text,
     "text (prefer redis.password_file or the variable: flags show in ps)",
     "the password of the Redis server (requirepass) or of redis.username",
     assign_redis_setting<&redis_security::password>, no_default, true},
    {"redis.password_file", "DREF_REDIS_PASSWORD_FILE", "redis-password-file", value_kind::text,
     "a file path", "a file whose first line is the password (instead of redis.password)",
     assign_redis_setting<&redis_security::password_file>,
     current_redis_setting<&redis_security::password_file>},
    {"redis.tls", "DREF_REDIS_TLS", "redis-tls", value_kind::boolean, "true or false",
     "TLS to the Redis server, verified against redis.tls_ca", assign_redis_tls,
     [](const node_config& c) { return std::string{c.redis_security.tls ? "true" : "false"}; }},
    {"redis.tls_ca", "DREF_REDIS_TLS_CA", "redis-tls-ca", value_kind::text, "a PEM file path",
     "the CA certificates the Redis server's certificate must be signed by (with redis.tls)",
     assign_redis_setting<&redis_security::tls_ca>, current_redis_setting<&redis_security::tls_ca>},
    {"redis.tls_certificate", "DREF_REDIS_TLS_CERTIFICATE", "redis-tls-certificate",
     value_kind::text, "a PEM file path",
     "a client certificate for a server with tls-auth-clients (with redis.tls_key)",
     assign_redis_setting<&redis_security::tls_certificate>,
     current_redis_setting<&redis_security::tls_certificate>},
    {"redis.tls_key", "DREF_REDIS_TLS_KEY", "redis-tls-key", value_kind::text,
     "a PEM file path (unencrypted)", "the private key of redis.tls_certificate",
     assign_redis_setting<&redis_security::tls_key>,
     current_redis_setting<&redis_security::tls_key>},
    {"redis.tls_server_name", "DREF_REDIS_TLS_SERVER_NAME", "redis-tls-server-name",
     value_kind::text, "a host name or IP address",
     "the name the Redis server's certificate must carry, sent as SNI (default: the host of "
     "redis.address)",
     assign_redis_setting<&redis_security::tls_server_name>,
     current_redis_setting<&redis_security::tls_server_name>},
    {"timeouts.election_ms", "DREF_ELECTION_TIMEOUT_MS", "election-timeout-ms", value_kind::integer,
     "milliseconds, 10-60000", "raft election timeout (randomized up to twice this)",
     assign_election, [](const node_config& c) { return millis(c.timeouts.election); }},
    {"timeouts.heartbeat_ms", "DREF_HEARTBEAT_MS", "heartbeat-ms", value_kind::integer,
     "milliseconds, 1-10000, less than half the election timeout", "raft heartbeat interval",
     assign_heartbeat, [](const node_config& c) { return millis(c.timeouts.heartbeat); }},
    {"timeouts.session_ttl_ms", "DREF_SESSION_TTL_MS", "session-ttl-ms", value_kind::integer,
     "milliseconds, 100-86400000", "locks of a node that stops renewing pass on after this",
     assign_session_ttl, [](const node_config& c) { return millis(c.timeouts.session_ttl); }},
    {"timeouts.request_ms", "DREF_REQUEST_TIMEOUT_MS", "request-timeout-ms", value_kind::integer,
     "milliseconds, 1-3600000", "default timeout of blocking calls", assign_request,
     [](const node_config& c) { return millis(c.timeouts.request); }},
    {"limits.max_value_bytes", "DREF_MAX_VALUE_BYTES", "max-value-bytes", value_kind::integer,
     "bytes, 1-1073741824", "largest encoded value a ref may hold", assign_max_value_bytes,
     [](const node_config& c) { return std::to_string(c.limits.max_value_bytes); }},
    {"limits.max_id_length", "DREF_MAX_ID_LENGTH", "max-id-length", value_kind::integer,
     "characters, 1-4096", "longest id of a ref, lock, topic ...", assign_max_id_length,
     [](const node_config& c) { return std::to_string(c.limits.max_id_length); }},
    {"limits.topic_max_messages", "DREF_TOPIC_MAX_MESSAGES", "topic-max-messages",
     value_kind::integer, "messages, 1-100000000", "messages a topic retains for replay",
     assign_topic_max_messages,
     [](const node_config& c) { return std::to_string(c.limits.topic_max_messages); }},
    {"limits.max_cached_reply_bytes_per_client", "DREF_MAX_CACHED_REPLY_BYTES_PER_CLIENT",
     "max-cached-reply-bytes-per-client", value_kind::integer, "bytes, 4096-1099511627776",
     "retry answers kept per client; its oldest go beyond this",
     assign_max_cached_reply_bytes_per_client,
     [](const node_config& c) {
       return std::to_string(c.limits.max_cached_reply_bytes_per_client);
     }},
    {"limits.max_cached_reply_bytes", "DREF_MAX_CACHED_REPLY_BYTES", "max-cached-reply-bytes",
     value_kind::integer, "bytes, 4096-1099511627776",
     "retry answers kept for all clients; the least recently seen clients' go beyond this",
     assign_max_cached_reply_bytes,
     [](const node_config& c) { return std::to_string(c.limits.max_cached_reply_bytes); }},
    {"failpoints.fail_fsync_after", "DREF_FAILPOINTS_FAIL_FSYNC_AFTER",
     "failpoints-fail-fsync-after", value_kind::integer, "0 (off) or a count, 1-1000000000",
     "TEST ONLY, never in production: the N-th fsync of the raft WAL fails (EIO) and the member "
     "stops",
     assign_fail_fsync_after,
     [](const node_config& c) { return std::to_string(c.failpoints.fail_fsync_after); }},
    {"failpoints.wall_clock_skew_ms", "DREF_FAILPOINTS_WALL_CLOCK_SKEW_MS",
     "failpoints-wall-clock-skew-ms", value_kind::integer, "ms, -86400000-86400000",
     "TEST ONLY, never in production: this member's wall clock reads this far ahead (negative: "
     "behind)",
     assign_wall_clock_skew,
     [](const node_config& c) { return millis(c.failpoints.wall_clock_skew); }},
    {"failpoints.network_faults", "DREF_FAILPOINTS_NETWORK_FAULTS", "failpoints-network-faults",
     value_kind::boolean, "true or false",
     "TEST ONLY, never in production: link cuts are taken from the network (member port)",
     assign_network_faults,
     [](const node_config& c) {
       return std::string{c.failpoints.network_faults ? "true" : "false"};
     }},
    {"tls.certificate", "DREF_TLS_CERTIFICATE", "tls-certificate", value_kind::text,
     "a PEM file path",
     "this node's certificate; with tls.key and tls.ca: mutual TLS on every "
     "connection",
     assign_tls_path<&tls::certificate>, [](const node_config& c) { return c.tls.certificate; }},
    {"tls.key", "DREF_TLS_KEY", "tls-key", value_kind::text, "a PEM file path",
     "the private key of tls.certificate", assign_tls_path<&tls::key>,
     [](const node_config& c) { return c.tls.key; }},
    {"tls.ca", "DREF_TLS_CA", "tls-ca", value_kind::text, "a PEM file path",
     "the CA certificates a peer's certificate must be signed by", assign_tls_path<&tls::ca>,
     [](const node_config& c) { return c.tls.ca; }},
    {"tls.client_ca", "DREF_TLS_CLIENT_CA", "tls-client-ca", value_kind::text, "a PEM file path",
     "members: the CA certificates a client's certificate must be signed by (default tls.ca)",
     assign_tls_path<&tls::client_ca>, [](const node_config& c) { return c.tls.client_ca; }},
    {"tls.key_passphrase", "DREF_TLS_KEY_PASSPHRASE", "tls-key-passphrase", value_kind::text,
     "text (prefer the file or the variable: flags show in ps)",
     "passphrase of an encrypted tls.key", assign_key_passphrase, no_default, true},
    {"network.max_message_bytes", "DREF_MAX_MESSAGE_BYTES", "max-message-bytes",
     value_kind::integer, "bytes, 1048576-4294967295, at least 2 * limits.max_value_bytes + 65 MiB",
     "with TLS: a connection announcing a larger message is closed (docs/security.md, Bounds)",
     assign_max_message_bytes,
     [](const node_config& c) { return std::to_string(c.network.max_message_bytes); }},
    {"network.max_connections", "DREF_MAX_CONNECTIONS", "max-connections", value_kind::integer,
     "1-65536",
     "with TLS: connections this process accepts and keeps open at once; more are "
     "closed at once",
     assign_max_connections,
     [](const node_config& c) { return std::to_string(c.network.max_connections); }},
    {"network.handshake_timeout_ms", "DREF_HANDSHAKE_TIMEOUT_MS", "handshake-timeout-ms",
     value_kind::integer, "milliseconds, 100-600000",
     "with TLS: an accepted connection still in its TLS handshake after this long is closed",
     assign_handshake_timeout,
     [](const node_config& c) { return millis(c.network.handshake_timeout); }},
    {"network.max_pending_requests", "DREF_MAX_PENDING_REQUESTS", "max-pending-requests",
     value_kind::integer, "1-1000000",
     "members: client requests waiting for an answer at once on the client port; more are "
     "refused with limit_exceeded",
     assign_max_pending_requests,
     [](const node_config& c) { return std::to_string(c.network.max_pending_requests); }},
    {"network.max_watchers", "DREF_MAX_WATCHERS", "max-watchers", value_kind::integer, "1-1000000",
     "members: client watchers served at once on the client port; more are refused with "
     "limit_exceeded",
     assign_max_watchers,
     [](const node_config& c) { return std::to_string(c.network.max_watchers); }},
    {"http.listen", "DREF_HTTP_LISTEN", "http-listen", value_kind::text,
     "an IP address or a host name", "address of the HTTP gateway (docs/http.md)",
     assign_http_listen, [](const node_config& c) { return c.http.listen; }},
    {"http.port", "DREF_HTTP_PORT", "http-port", value_kind::integer,
     "0 (off) or a port number 1-65535", "port of the HTTP gateway; 0 leaves it off",
     assign_http_port, [](const node_config& c) { return std::to_string(c.http.port); }},
    {"http.tokens_file", "DREF_HTTP_TOKENS_FILE", "http-tokens-file", value_kind::text,
     "a file path",
     "bearer tokens of the HTTP gateway, lines of 'token role' (read, write, "
     "admin); without it the gateway only listens on loopback",
     assign_http_tokens_file, [](const node_config& c) { return c.http.tokens_file; }},
    {"http.max_body_bytes", "DREF_HTTP_MAX_BODY_BYTES", "http-max-body-bytes", value_kind::integer,
     "bytes, 64-2147483648", "largest HTTP request body (413 beyond)", assign_http_max_body_bytes,
     [](const node_config& c) { return std::to_string(c.http.max_body_bytes); }},
    {"http.max_header_bytes", "DREF_HTTP_MAX_HEADER_BYTES", "http-max-header-bytes",
     value_kind::integer, "bytes, 256-1048576", "largest HTTP request header (431 beyond)",
     assign_http_max_header_bytes,
     [](const node_config& c) { return std::to_string(c.http.max_header_bytes); }},
    {"http.header_timeout_ms", "DREF_HTTP_HEADER_TIMEOUT_MS", "http-header-timeout-ms",
     value_kind::integer, "milliseconds, 10-3600000",
     "an HTTP request (headers, then body) must arrive within this, else the connection is "
     "closed (also the idle time of a kept-alive connection)",
     assign_http_header_timeout,
     [](const node_config& c) { return millis(c.http.header_timeout); }},
    {"http.max_connections", "DREF_HTTP_MAX_CONNECTIONS", "http-max-connections",
     value_kind::integer, "connections, 1-1000000", "open HTTP connections (beyond: 503, closed)",
     assign_http_max_connections,
     [](const node_config& c) { return std::to_string(c.http.max_connections); }},
    {"http.max_websockets", "DREF_HTTP_MAX_WEBSOCKETS", "http-max-websockets", value_kind::integer,
     "streams, 1-1000000", "open WebSocket streams (beyond: 503 before the upgrade)",
     assign_http_max_websockets,
     [](const node_config& c) { return std::to_string(c.http.max_websockets); }},
    {"http.workers", "DREF_HTTP_WORKERS", "http-workers", value_kind::integer, "threads, 1-1024",
     "threads that run HTTP requests, each waiting on the member (requests served at once)",
     assign_http_workers, [](const node_config& c) { return std::to_string(c.http.workers); }},
    {"http.max_stream_backlog_bytes", "DREF_HTTP_MAX_STREAM_BACKLOG_BYTES",
     "http-max-stream-backlog-bytes", value_kind::integer, "bytes, 4096-2147483648",
     "bytes a WebSocket stream may hold for a client that does not read (beyond: closed, 1008)",
     assign_http_max_stream_backlog,
     [](const node_config& c) { return std::to_string(c.http.max_stream_backlog_bytes); }},
    {"node.insecure", "DREF_INSECURE", "insecure", value_kind::boolean, "true or false",
     "let a raft member listen on a non-loopback address without TLS (anyone who reaches the "
     "port can read and write)",
     assign_insecure,
     [](const node_config& c) { return std::string{c.insecure ? "true" : "false"}; }},
};

} // namespace

std::span<const key_spec> all_keys() {
  return keys;
}

const key_spec* find_by_toml_path(std::string_view path) {
  for (const auto& key : keys)
    if (key.toml_path == path)
      return &key;
  return nullptr;
}

const key_spec* find_by_env(std::string_view name) {
  for (const auto& key : keys)
    if (key.env == name)
      return &key;
  return nullptr;
}

const key_spec* find_by_flag(std::string_view flag) {
  for (const auto& key : keys)
    if (key.flag == flag)
      return &key;
  return nullptr;
}

std::string shown_value(const key_spec& key, std::string_view text) {
  return key.secret ? std::string{"(secret)"} : std::string{text};
}

std::variant<raw_value, std::string> parse_text(const key_spec& key, std::string_view text) {
  switch (key.kind) {
    case value_kind::text:
      return raw_value{std::string{text}};
    case value_kind::integer: {
      auto number = whole_decimal(trim(text));
      if (!number)
        return std::string{"not a whole decimal number"};
      return raw_value{*number};
    }
    case value_kind::boolean: {
      auto word = trim(text);
      if (word == "true" || word == "1")
        return raw_value{true};
      if (word == "false" || word == "0")
        return raw_value{false};
      return std::string{"not true, false, 1 or 0"};
    }
    case value_kind::text_list: {
      std::vector<std::string> items;
      std::size_t start = 0;
      while (start <= text.size()) {
        auto comma = text.find(',', start);
        auto item =
            trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        if (item.empty())
          return std::string{"the list has an empty item"};
        items.push_back(std::move(item));
        if (comma == std::string_view::npos)
          break;
        start = comma + 1;
      }
      return raw_value{std::move(items)};
    }
  }
  return std::string{"unknown kind"};
}

std::variant<endpoint, std::string> parse_endpoint(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return "'" + std::string{text} + "' is not [ipv6]:port";
    host = std::string{text.substr(1, close - 1)};
    port_text = text.substr(close + 2);
    unsigned char buf[16];
    if (inet_pton(AF_INET6, host.c_str(), buf) != 1)
      return "'" + host + "' is not an IPv6 address";
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return "'" + std::string{text} + "' has no port (host:port)";
    host = std::string{text.substr(0, colon)};
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return "'" + std::string{text} + "': write IPv6 addresses as [address]:port";
    if (!is_ip_address(host) && !is_dns_name(host))
      return "'" + host + "' is neither an IP address nor a host name";
  }
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port < 1 || port > 65535)
    return "'" + std::string{port_text} + "' in '" + std::string{text} +
           "' is not a port number 1-65535";
  return endpoint{std::move(host), static_cast<std::uint16_t>(port)};
}

std::variant<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  using std::chrono::milliseconds;
  auto trimmed = trim(text);
  auto unit_start = trimmed.find_first_not_of("0123456789");
  auto number = whole_decimal(std::string_view{trimmed}.substr(0, unit_start));
  if (!number)
    return "'" + std::string{text} + "' is not a duration (e.g. 500ms, 5s, 1m)";
  auto unit = unit_start == std::string::npos ? std::string{} : trimmed.substr(unit_start);
  // Milliseconds per unit; a count that overflows milliseconds is refused
  // rather than wrapped into a short (or negative) timeout.
  std::int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else
    return "'" + std::string{text} + "' needs a unit: ms, s or m";
  if (*number > std::numeric_limits<milliseconds::rep>::max() / scale)
    return "'" + std::string{text} + "' is too long a duration";
  return milliseconds{*number * scale};
}

} // namespace dref::config::detail
