#pragma once
// The HTTP/1.1 server under the gateway (server.cpp, the one file with
// Beast and Asio): one thread runs the sockets, http.workers threads run the
// routes, whose calls into the member block.
//
// Per connection: TLS handshake when configured; then requests one after
// another (keep-alive). A request, headers then body, must arrive within
// http.header_timeout of the read starting (slow clients are cut off
// without a reply; "Expect: 100-continue" is answered before the body), headers over
// http.max_header_bytes get 431, bodies over http.max_body_bytes 413, unparsable HTTP 400; each of
// these closes the connection. A connection beyond http.max_connections gets 503 and is closed; the
// others are not affected.

#include "dref/config/node_config.hpp"
#include "dref/gateway.hpp"
#include "metrics.hpp"
#include "router.hpp"

#include <memory>

namespace dref::gateway {

// Binds cfg.http's address and port and starts serving through routes.
// Errors: invalid_config (unusable TLS files), io_failed (cannot bind).
result<handle> serve(const config::node_config& cfg, std::unique_ptr<router> routes,
                     std::shared_ptr<metrics> figures);

} // namespace dref::gateway
