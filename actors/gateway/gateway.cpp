// start(): the checks before the gateway listens (gateway.hpp).
#include "dref/gateway.hpp"

#include "dref/backends.hpp"
#include "dref/log.hpp"
#include "dref/net/transport.hpp"
#include "server.hpp"

namespace dref::gateway {

result<handle> start(caf::actor_system& sys, const caf::actor& node, std::uint16_t node_port,
                     const config::node_config& cfg) {
  if (cfg.http.port == 0)
    return handle{};
  token_table tokens;
  if (!cfg.http.tokens_file.empty()) {
    auto loaded = token_table::load(cfg.http.tokens_file);
    if (!loaded)
      return std::move(loaded).error();
    tokens = std::move(*loaded);
  } else if (!net::is_loopback(cfg.http.listen)) {
    // Like a raft member's protected mode: without tokens anyone reaching
    // the port could read, write and move the leadership.
    return error{errc::invalid_config,
                 "the HTTP gateway would listen on " + cfg.http.listen +
                     " without tokens: set http.tokens_file (DREF_HTTP_TOKENS_FILE, "
                     "--http-tokens-file) or listen on a loopback address"};
  }
  auto figures = std::make_shared<metrics>();
  auto routes = std::make_unique<router>(sys, node, raft_member::of_node(node, node_port),
                                         std::move(tokens), figures, cfg);
  auto served = serve(cfg, std::move(routes), figures);
  if (served)
    log(log_level::info, "HTTP gateway listening on " + cfg.http.listen + ":" +
                             std::to_string(served->port()) + (cfg.tls.enabled() ? " (TLS)" : "") +
                             (cfg.http.tokens_file.empty() ? " without tokens" : ""));
  return served;
}

} // namespace dref::gateway
