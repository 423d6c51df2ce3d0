#include "dref/config/load.hpp"

#include "dref/config/tls_files.hpp"
#include "sources.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

extern char** environ;

namespace dref::config {

namespace {

using detail::assignment;

std::string default_origin(std::string_view toml_path) {
  return std::string{toml_path} + " (default)";
}

struct loader {
  node_config cfg;
  std::vector<std::string> problems;
  std::map<std::string_view, std::string> origin_of; // toml path -> where its value came from

  void take(detail::source_reading reading) {
    problems.insert(problems.end(), reading.problems.begin(), reading.problems.end());
    for (auto& item : reading.assignments) {
      if (auto bad = item.key->assign(cfg, item.value)) {
        problems.push_back(item.origin + ": " + *bad +
                           "; allowed: " + std::string{item.key->allowed});
        continue;
      }
      origin_of[item.key->toml_path] = item.origin;
    }
  }

  std::string origin(std::string_view toml_path) const {
    auto found = origin_of.find(toml_path);
    return found != origin_of.end() ? found->second : default_origin(toml_path);
  }

  void check_combinations() {
    if (cfg.timeouts.heartbeat * 2 > cfg.timeouts.election)
      problems.push_back(
          "timeouts.heartbeat_ms = " + std::to_string(cfg.timeouts.heartbeat.count()) + " from " +
          origin("timeouts.heartbeat_ms") + " must be at most half of timeouts.election_ms = " +
          std::to_string(cfg.timeouts.election.count()) + " from " +
          origin("timeouts.election_ms") +
          ", or followers start elections while the leader is healthy");
    if (cfg.backend == backend_kind::raft && cfg.data_dir.empty())
      problems.push_back("node.backend = raft from " + origin("node.backend") +
                         " needs node.data_dir (DREF_DATA_DIR, --data-dir): the raft log "
                         "must survive restarts");
    check_tls();
    check_redis_security();
    resolve_max_message_bytes();
  }

  void resolve_max_message_bytes() {
    auto least = min_message_bytes(cfg.limits);
    auto& max = cfg.network.max_message_bytes;
    if (!origin_of.contains("network.max_message_bytes"))
      max = std::max(max, least); // the default grows with the limits
    else if (max < least)
      problems.push_back(
          "network.max_message_bytes = " + std::to_string(max) + " from " +
          origin("network.max_message_bytes") + " is below " + std::to_string(least) +
          ", what a value's write or change event (limits.max_value_bytes = " +
          std::to_string(cfg.limits.max_value_bytes) + " from " + origin("limits.max_value_bytes") +
          ", twice) or a page of a topic may need");
  }

  // Redis credentials and TLS: partial settings are refused rather than
  // quietly ignored, and the password file and TLS files must load now, so
  // that a node fails at start and not at its first connection.
  void check_redis_security() {
    auto& redis = cfg.redis_security;
    auto refuse = [&](std::string_view key, const std::string& why) {
      problems.push_back(std::string{key} + " from " + origin(key) + " " + why);
    };
    if (!redis.password.empty() && !redis.password_file.empty())
      refuse("redis.password_file", "is set together with redis.password (from " +
                                        origin("redis.password") + "): give one of them");
    else if (!redis.password_file.empty())
      read_redis_password_file();
    if (!redis.username.empty() && redis.password.empty() && redis.password_file.empty())
      refuse("redis.username", "needs redis.password or redis.password_file");
    if (!redis.tls) {
      for (auto [key, value] : {std::pair{"redis.tls_ca", &redis.tls_ca},
                                std::pair{"redis.tls_certificate", &redis.tls_certificate},
                                std::pair{"redis.tls_key", &redis.tls_key},
                                std::pair{"redis.tls_server_name", &redis.tls_server_name}})
        if (!value->empty())
          refuse(key, "is set but redis.tls is false (from " + origin("redis.tls") + ")");
      return;
    }
    if (redis.tls_ca.empty())
      refuse("redis.tls", "= true needs redis.tls_ca: the CA that signed the server's "
                          "certificate");
    if (redis.tls_certificate.empty() != redis.tls_key.empty())
      problems.push_back("redis.tls_certificate (from " + origin("redis.tls_certificate") +
                         ") and redis.tls_key (from " + origin("redis.tls_key") + ") go together");
    else if (!redis.tls_ca.empty())
      if (auto bad = check_redis_tls_files(redis))
        problems.push_back(*bad);
  }

  // The first line, without its line end: a password file is often written
  // with echo.
  void read_redis_password_file() {
    auto& redis = cfg.redis_security;
    std::ifstream file{redis.password_file};
    std::string line;
    if (!file || !std::getline(file, line)) {
      problems.push_back("redis.password_file from " + origin("redis.password_file") +
                         ": cannot read " + redis.password_file);
      return;
    }
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty()) {
      problems.push_back("redis.password_file from " + origin("redis.password_file") + ": " +
                         redis.password_file + " starts with an empty line");
      return;
    }
    redis.password = std::move(line);
  }

  // TLS is all or nothing: CAF turns a partial setting into unauthenticated
  // encryption, which would look like protection without being any.
  void check_tls() {
    const auto& tls = cfg.tls;
    std::vector<std::string> given;
    std::vector<std::string> missing;
    for (auto [path, value] : {std::pair{"tls.certificate", &tls.certificate},
                               std::pair{"tls.key", &tls.key}, std::pair{"tls.ca", &tls.ca}})
      (value->empty() ? missing : given).push_back(value->empty() ? path : origin(path));
    if (!given.empty() && !missing.empty()) {
      std::string text = "tls.certificate, tls.key and tls.ca go together; set:";
      for (const auto& item : given)
        text += " " + item;
      text += "; missing:";
      for (const auto& item : missing)
        text += " " + item;
      problems.push_back(std::move(text));
      return;
    }
    if (!tls.key_passphrase.empty() && tls.key.empty())
      problems.push_back("tls.key_passphrase from " + origin("tls.key_passphrase") +
                         " is set without tls.key");
    if (!tls.client_ca.empty() && !tls.enabled())
      problems.push_back("tls.client_ca from " + origin("tls.client_ca") +
                         " is set without tls.certificate, tls.key and tls.ca");
    if (tls.enabled())
      if (auto bad = check_tls_files(tls))
        problems.push_back(*bad);
  }

  void build_peers(const resolver& resolve) {
    std::vector<endpoint> peers = cfg.peers;
    auto add = [&](std::string host) {
      endpoint peer{std::move(host), cfg.port};
      if (std::find(peers.begin(), peers.end(), peer) == peers.end())
        peers.push_back(std::move(peer));
    };
    for (const auto& address : cfg.node_addresses)
      add(address);
    for (const auto& service : cfg.node_services) {
      auto addresses = resolve(service);
      if (!addresses) {
        problems.push_back("'" + service + "' in cluster.node_services from " +
                           origin("cluster.node_services") +
                           " does not resolve: " + addresses.error().message);
        continue;
      }
      if (addresses->empty())
        problems.push_back("'" + service + "' in cluster.node_services from " +
                           origin("cluster.node_services") + " resolves to no address");
      for (auto& address : *addresses)
        add(std::move(address));
    }
    cfg.peers = std::move(peers);
  }
};

} // namespace

std::string_view to_string(backend_kind kind) noexcept {
  switch (kind) {
    case backend_kind::memory:
      return "memory";
    case backend_kind::raft:
      return "raft";
    case backend_kind::redis:
      return "redis";
  }
  return "unknown";
}

std::uint64_t min_message_bytes(const limits& lim) {
  // A topic page holds at most a topic's retained bytes: 64 MiB
  // (store/limits.hpp, topic_max_bytes).
  constexpr std::uint64_t topic_page = 64ull << 20;
  constexpr std::uint64_t room = 1ull << 20;
  return 2 * lim.max_value_bytes + topic_page + room;
}

endpoint member_port_of(const endpoint& client_port) {
  // 65535 has no port above it: port 0, which nothing listens on.
  auto port = client_port.port == 65535 ? 0 : client_port.port + 1;
  return endpoint{client_port.host, static_cast<std::uint16_t>(port)};
}

std::string endpoint::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

result<std::vector<std::string>> resolve_with_system(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found); rc != 0)
    return error{errc::unavailable, gai_strerror(rc)};
  std::vector<std::string> addresses;
  for (auto* entry = found; entry != nullptr; entry = entry->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(entry->ai_addr, entry->ai_addrlen, text, sizeof(text), nullptr, 0,
                    NI_NUMERICHOST) == 0) {
      if (std::find(addresses.begin(), addresses.end(), text) == addresses.end())
        addresses.emplace_back(text);
    }
  }
  freeaddrinfo(found);
  return addresses;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text{*entry};
    if (text.rfind("DREF_", 0) != 0)
      continue;
    auto eq = text.find('=');
    if (eq != std::string_view::npos)
      env.emplace(std::string{text.substr(0, eq)}, std::string{text.substr(eq + 1)});
  }
  return env;
}

load_inputs inputs_from_main(int argc, char** argv) {
  load_inputs inputs;
  for (int i = 1; i < argc; ++i)
    inputs.args.emplace_back(argv[i]);
  inputs.env = process_environment();
  return inputs;
}

result<node_config> load(const load_inputs& inputs) {
  loader state;
  auto command_line = detail::read_command_line(inputs.args);
  std::string config_path = command_line.config_path;
  if (config_path.empty())
    if (auto found = inputs.env.find("DREF_CONFIG"); found != inputs.env.end())
      config_path = found->second;
  if (!config_path.empty())
    state.take(detail::read_toml_file(config_path));
  state.take(detail::read_environment(inputs.env));
  state.take(std::move(command_line));
  if (state.problems.empty()) {
    state.check_combinations();
    state.build_peers(inputs.resolver);
  }
  if (state.problems.empty())
    return state.cfg;
  std::string message = state.problems.size() == 1 ? "invalid configuration: "
                                                   : std::to_string(state.problems.size()) +
                                                         " problems in the configuration:";
  for (const auto& problem : state.problems)
    message += (state.problems.size() == 1 ? "" : "\n  - ") + problem;
  return error{errc::invalid_config, std::move(message)};
}

std::string help_text() {
  node_config defaults;
  std::string out = "Configuration (later sources win): --config FILE or DREF_CONFIG (TOML), "
                    "then DREF_* environment variables, then flags.\n\n";
  for (const auto& key : detail::all_keys()) {
    out += "  --" + std::string{key.flag} + " / " + std::string{key.env} + " / " +
           std::string{key.toml_path} + "\n      " + std::string{key.help} + "; " +
           std::string{key.allowed};
    auto current = key.current(defaults);
    out += current.empty() ? " (default: none)\n" : " (default: " + current + ")\n";
  }
  return out;
}

result<endpoint> parse_endpoint(std::string_view text) {
  auto parsed = detail::parse_endpoint(text);
  if (auto* problem = std::get_if<std::string>(&parsed))
    return error{errc::invalid_argument, *problem};
  return std::get<endpoint>(std::move(parsed));
}

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parsed = detail::parse_duration(text);
  if (auto* problem = std::get_if<std::string>(&parsed))
    return error{errc::invalid_argument, *problem};
  return std::get<std::chrono::milliseconds>(parsed);
}

} // namespace dref::config
