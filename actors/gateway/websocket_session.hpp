#pragma once
// One WebSocket stream on the wire (server.cpp's only companion with Beast):
// accepts the upgrade the router agreed to, then writes what the stream's
// outbox holds, one frame after another, and reads only to answer pings and
// see the close. Incoming messages are not part of any stream's protocol:
// one over 4 KiB closes the stream (1009).
//
// The socket's idle and handshake timeouts are Beast's suggested server
// settings (pings keep a quiet stream alive; a peer that answers none is
// cut off). Ends: the outbox asked to close (its code and reason), the
// client closed, or the socket failed; the outbox is detached either way.

#include "metrics.hpp"
#include "outbox.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>

namespace dref::gateway {

template <class Stream>
class websocket_session : public std::enable_shared_from_this<websocket_session<Stream>> {
public:
  websocket_session(Stream stream, std::shared_ptr<outbox> box, std::shared_ptr<metrics> figures)
      : ws_(std::move(stream))
      , box_(std::move(box))
      , metrics_(std::move(figures)) {}
  ~websocket_session() {
    box_->detach();
    metrics_->websocket_closed();
    metrics_->connection_closed();
  }

  void start(boost::beast::http::request<boost::beast::http::string_body> upgrade) {
    namespace websocket = boost::beast::websocket;
    boost::beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(boost::beast::http::field::server, "dref"); }));
    ws_.read_message_max(4096);
    ws_.text(true);
    ws_.async_accept(upgrade, [self = this->shared_from_this()](boost::beast::error_code ec) {
      if (ec)
        return;
      self->on_open();
    });
  }

private:
  void on_open() {
    auto executor = ws_.get_executor();
    std::weak_ptr<websocket_session> weak = this->shared_from_this();
    box_->attach([executor, weak] {
      boost::asio::post(executor, [weak] {
        if (auto self = weak.lock())
          self->flush();
      });
    });
    read_next();
  }

  void read_next() {
    ws_.async_read(incoming_,
                   [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                     if (ec)
                       return self->end();
                     self->incoming_.clear();
                     self->read_next();
                   });
  }

  // Writes what waits, then looks again; closes when asked, after the frames.
  void flush() {
    if (writing_ || ended_)
      return;
    if (pending_.empty()) {
      auto batch = box_->take();
      pending_ = std::move(batch.frames);
      if (pending_.empty()) {
        if (batch.close)
          close(*batch.close);
        return;
      }
      close_after_ = std::move(batch.close);
    }
    writing_ = true;
    ws_.async_write(boost::asio::buffer(pending_.front()),
                    [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec)
                        return self->end();
                      self->pending_.pop_front();
                      if (self->pending_.empty() && self->close_after_)
                        return self->close(*std::exchange(self->close_after_, std::nullopt));
                      self->flush();
                    });
  }

  void close(const close_request& why) {
    namespace websocket = boost::beast::websocket;
    if (ended_)
      return;
    ended_ = true;
    box_->detach();
    auto reason = why.reason.substr(0, 123);
    ws_.async_close(websocket::close_reason{static_cast<websocket::close_code>(why.code), reason},
                    [self = this->shared_from_this()](boost::beast::error_code) {});
  }

  void end() {
    ended_ = true;
    box_->detach();
  }

  boost::beast::websocket::stream<Stream> ws_;
  std::shared_ptr<outbox> box_;
  std::shared_ptr<metrics> metrics_;
  boost::beast::flat_buffer incoming_;
  std::deque<std::string> pending_;
  std::optional<close_request> close_after_;
  bool writing_ = false;
  bool ended_ = false;
};

} // namespace dref::gateway
