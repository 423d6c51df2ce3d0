#include "http_client.hpp"

#include <arpa/inet.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace dref::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_connection::state {
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  template <class Stream>
  http_reply call(Stream& stream, const http_call& call) {
    http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : call.headers)
      request.set(name, value);
    request.body() = call.body;
    request.prepare_payload();
    http::write(stream, request);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    http_reply out;
    out.status = response.result_int();
    out.body = response.body();
    for (const auto& field : response) {
      std::string name{field.name_string()};
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string{field.value()};
    }
    return out;
  }
};

http_connection::http_connection(std::uint16_t port, std::string ca_file)
    : state_(std::make_unique<state>()) {
  tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
  // Beast's expiry covers asynchronous operations only: the socket's own
  // timeouts keep a blocking call from hanging a test.
  auto limit_waits = [](tcp::socket& socket) {
    timeval limit{30, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  };
  if (ca_file.empty()) {
    state_->plain.emplace(state_->ioc);
    state_->plain->connect(endpoint);
    limit_waits(state_->plain->socket());
    return;
  }
  state_->tls.emplace(asio::ssl::context::tls_client);
  state_->tls->load_verify_file(ca_file);
  state_->tls->set_verify_mode(asio::ssl::verify_peer);
  state_->secure.emplace(state_->ioc, *state_->tls);
  state_->secure->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(*state_->secure).connect(endpoint);
  limit_waits(beast::get_lowest_layer(*state_->secure).socket());
  state_->secure->handshake(asio::ssl::stream_base::client);
}

http_connection::~http_connection() = default;

http_reply http_connection::call(const http_call& request) {
  try {
    if (state_->secure)
      return state_->call(*state_->secure, request);
    return state_->call(*state_->plain, request);
  } catch (const std::exception& ex) {
    throw std::runtime_error(request.method + " " + request.target + ": " + ex.what());
  }
}

http_reply http_once(std::uint16_t port, const http_call& request, std::string ca_file) {
  http_connection connection{port, std::move(ca_file)};
  return connection.call(request);
}

raw_connection::raw_connection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
}

raw_connection::~raw_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_connection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string raw_connection::read_for(std::chrono::milliseconds wait) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return out;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0)
      return out;
    char buffer[4096];
    auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

} // namespace dref::test
