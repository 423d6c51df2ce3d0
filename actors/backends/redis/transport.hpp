#pragma once
// The bytes of one connection to Redis, over a non-blocking socket the
// client owns (and closes): plain TCP, or TLS on top of it. No call blocks;
// a step that cannot go on says which readiness of the socket to poll for
// before calling again. With TLS a read may have to wait until the socket
// is writable and a write until it is readable, so the poll loop must not
// assume that reading waits for POLLIN only.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace dref::redis {

struct io_step {
  enum class state { done, want_read, want_write, closed, failed };
  state outcome = state::done;
  std::size_t bytes = 0; // done: how many bytes were read or written
  std::string failure{}; // failed: why, in OpenSSL's or the system's words
};

class transport {
public:
  virtual ~transport() = default;
  // done once the connection is ready for read and write (at once for plain TCP).
  virtual io_step handshake() = 0;
  virtual io_step read(char* buffer, std::size_t size) = 0;
  // May write fewer bytes than asked; after want_*, call again with the
  // same bytes at the front (more may follow them).
  virtual io_step write(const char* data, std::size_t size) = 0;
  // Bytes received and decrypted but not yet read: read them before polling
  // again, poll() cannot see them.
  virtual bool buffered() const = 0;
};

// How connections are opened: one per client, shared by all its connections.
class transport_factory {
public:
  // Plain TCP without TLS; with it, loads the CA (and the client certificate
  // and key) once. errc::invalid_config naming the file that does not load.
  static result<std::shared_ptr<transport_factory>> create(const config::redis_security& settings);
  virtual ~transport_factory() = default;
  // For a connected socket to `host`: the server's certificate must carry
  // settings.tls_server_name, or `host` when that is empty.
  virtual result<std::unique_ptr<transport>> open(int socket, const std::string& host) = 0;
};

} // namespace dref::redis
