#include "websocket_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <variant>

namespace dref::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct ws_connection::state {
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls;
  std::optional<websocket::stream<beast::tcp_stream>> plain;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> secure;
  beast::flat_buffer buffer;
  bool reading = false;
  std::optional<beast::error_code> done; // the pending read's outcome

  template <class F>
  auto with_stream(F f) {
    return plain ? f(*plain) : f(*secure);
  }
};

ws_connection::ws_connection(std::uint16_t port, const std::string& target, std::string ca_file,
                             http_call::header_list headers, int receive_buffer)
    : state_(std::make_unique<state>()) {
  tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
  tcp::socket socket{state_->ioc};
  socket.open(tcp::v4());
  if (receive_buffer > 0)
    socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  socket.connect(endpoint);
  auto handshake = [&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator([&headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers)
        req.set(name, value);
    }));
    beast::error_code ec;
    ws.handshake("127.0.0.1", target, ec);
    if (ec == websocket::error::upgrade_declined) {
      // Beast keeps the refusal to itself: ask again as plain HTTP to see it.
      auto asked = headers;
      asked.emplace_back("Connection", "Upgrade");
      asked.emplace_back("Upgrade", "websocket");
      asked.emplace_back("Sec-WebSocket-Version", "13");
      asked.emplace_back("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
      auto refusal = http_once(port, {"GET", target, "", asked}, ca_file);
      throw stream_refused(refusal.status, refusal.body);
    }
    if (ec)
      throw std::runtime_error("WebSocket handshake on " + target + " failed: " + ec.message());
  };
  if (ca_file.empty()) {
    state_->plain.emplace(std::move(socket));
    handshake(*state_->plain);
  } else {
    state_->tls.emplace(asio::ssl::context::tls_client);
    state_->tls->load_verify_file(ca_file);
    state_->tls->set_verify_mode(asio::ssl::verify_peer);
    state_->secure.emplace(beast::tcp_stream{std::move(socket)}, *state_->tls);
    state_->secure->next_layer().handshake(asio::ssl::stream_base::client);
    handshake(*state_->secure);
  }
}

ws_connection::~ws_connection() = default;

std::optional<std::string> ws_connection::next(std::chrono::milliseconds wait) {
  if (closed_)
    return std::nullopt;
  auto& st = *state_;
  if (!st.reading) {
    st.reading = true;
    st.done.reset();
    st.with_stream([&](auto& ws) {
      ws.async_read(st.buffer, [&st](beast::error_code ec, std::size_t) { st.done = ec; });
    });
  }
  st.ioc.restart();
  st.ioc.run_for(wait);
  if (!st.done)
    return std::nullopt;
  st.reading = false;
  if (*st.done) {
    closed_ = true;
    st.with_stream([&](auto& ws) {
      close_code_ = ws.reason().code;
      close_reason_ = std::string{ws.reason().reason.c_str()};
    });
    return std::nullopt;
  }
  auto text = beast::buffers_to_string(st.buffer.data());
  st.buffer.consume(st.buffer.size());
  return text;
}

} // namespace dref::test
