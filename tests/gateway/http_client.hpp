#pragma once
// A real HTTP client for the gateway tests (Beast, in http_client.cpp),
// plain or TLS (verifying the server against a CA file), and raw sockets
// for what a well-behaved client never sends.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dref::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers; // names in lower case
};

struct http_call {
  using header_list = std::vector<std::pair<std::string, std::string>>;
  http_call(std::string method_, std::string target_, std::string body_ = {},
            header_list headers_ = {})
      : method(std::move(method_))
      , target(std::move(target_))
      , body(std::move(body_))
      , headers(std::move(headers_)) {}

  std::string method;
  std::string target;
  std::string body;
  header_list headers;
};

// One kept-alive connection to 127.0.0.1:port. ca_file: TLS, the server
// verified against it. Throws std::runtime_error when the connection or a
// request fails.
class http_connection {
public:
  explicit http_connection(std::uint16_t port, std::string ca_file = {});
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  http_reply call(const http_call& request);

private:
  struct state;
  std::unique_ptr<state> state_;
};

// A fresh connection for one request.
http_reply http_once(std::uint16_t port, const http_call& request, std::string ca_file = {});

// A TCP connection that sends and reads bytes as they are.
class raw_connection {
public:
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  // false when the peer closed or reset the connection.
  bool send(const std::string& bytes);
  // What arrives until the peer closes or `wait` passes; closed() tells
  // which.
  std::string read_for(std::chrono::milliseconds wait);
  bool closed() const noexcept { return closed_; }

private:
  int fd_ = -1;
  bool closed_ = false;
};

} // namespace dref::test
