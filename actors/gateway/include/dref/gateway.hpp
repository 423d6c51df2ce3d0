#pragma once
// The HTTP gateway of a raft member (docs/http.md): a REST API over
// HTTP/1.1 (TLS when the node has tls.*), bearer tokens with read / write /
// admin roles, /healthz, /readyz and Prometheus /metrics. It runs on
// threads of its own (one for the sockets, a few for the blocking calls
// into the member), never on CAF's, and serves through a dref::context on
// the member, in-process. Beast and Asio stay inside the library: this
// header is all a program needs.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"

#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>

namespace dref::gateway {

class server;

// A running gateway, or none (http.port 0); stops when it goes. Destroy it
// before the actor system.
class handle {
public:
  handle();
  explicit handle(std::unique_ptr<server> running);
  handle(handle&&) noexcept;
  handle& operator=(handle&&) noexcept;
  ~handle();

  bool running() const noexcept { return server_ != nullptr; }
  std::uint16_t port() const noexcept; // 0 when not running
  // Stops serving: joins its threads (a route in progress ends within its
  // timeout) and closes the listener; open connections are closed when the
  // handle goes. Idempotent.
  void stop();

private:
  std::unique_ptr<server> server_;
};

// Starts the gateway cfg.http describes for the raft member `node`
// (raft::node::start_node in sys, listening on node_port), or returns an
// empty handle when cfg.http.port is 0. Errors: invalid_config (a tokens
// file that cannot be read or has a bad line, a non-loopback http.listen
// without tokens, unusable TLS files), io_failed (the port cannot be bound).
result<handle> start(caf::actor_system& sys, const caf::actor& node, std::uint16_t node_port,
                     const config::node_config& cfg);

} // namespace dref::gateway
