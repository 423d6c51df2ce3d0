#pragma once
// A WebSocket client for the gateway's stream tests (Beast, in
// websocket_client.cpp), plain or TLS.

#include "http_client.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace dref::test {

// The upgrade was answered with an HTTP error instead of 101.
struct stream_refused : std::runtime_error {
  stream_refused(unsigned status_, std::string body_)
      : std::runtime_error("stream refused with " + std::to_string(status_) + ": " + body_)
      , status(status_)
      , body(std::move(body_)) {}
  unsigned status;
  std::string body;
};

class ws_connection {
public:
  // Connects to 127.0.0.1:port and upgrades on target. receive_buffer: a
  // small socket receive buffer (bytes; 0: the system's), so that a client
  // that does not read stops the server's writes soon. Throws
  // stream_refused, or std::runtime_error when the connection fails.
  ws_connection(std::uint16_t port, const std::string& target, std::string ca_file = {},
                http_call::header_list headers = {}, int receive_buffer = 0);
  ~ws_connection();
  ws_connection(const ws_connection&) = delete;
  ws_connection& operator=(const ws_connection&) = delete;

  // The next text frame, or nullopt when none came within wait or the
  // stream closed (closed() then says so, close_code() and close_reason()
  // what the server said).
  std::optional<std::string> next(std::chrono::milliseconds wait);
  bool closed() const noexcept { return closed_; }
  unsigned close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }

private:
  struct state;
  std::unique_ptr<state> state_;
  bool closed_ = false;
  unsigned close_code_ = 0;
  std::string close_reason_;
};

} // namespace dref::test
