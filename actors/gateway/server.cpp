// The HTTP/1.1 server (contract in server.hpp): the only file of the
// gateway that includes Beast and Asio.
#include "server.hpp"

#include "dref/log.hpp"
#include "websocket_session.hpp"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <thread>
#include <type_traits>
#include <vector>

namespace dref::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

// The largest request body the socket thread routes itself (on_request).
constexpr std::size_t socket_thread_body_bytes = 16 * 1024;

class server {
public:
  server(const config::node_config& cfg, std::unique_ptr<router> routes,
         std::shared_ptr<metrics> figures)
      : settings_(cfg.http)
      , metrics_(std::move(figures))
      , routes_(std::move(routes))
      , workers_(cfg.http.workers) {}
  ~server() { stop(); }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  result<void> listen(const config::tls& tls);
  void run();
  void stop();
  std::uint16_t port() const noexcept { return port_; }

  const config::http& settings() const noexcept { return settings_; }
  metrics& figures() noexcept { return *metrics_; }
  const std::shared_ptr<metrics>& shared_figures() const noexcept { return metrics_; }
  router& routes() noexcept { return *routes_; }
  asio::thread_pool& workers() noexcept { return workers_; }
  asio::ssl::context* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
  // Runs `step` on the socket thread, from any thread. Steps handed over
  // while the socket thread has not yet taken the last ones go with them:
  // a commit answers many requests at once, and each hand-over on its own
  // would be a wake-up of the socket thread (the most costly thing here).
  void on_socket_thread(std::function<void()> step);

private:
  void accept();
  void serve(tcp::socket socket);

  config::http settings_;
  std::shared_ptr<metrics> metrics_;
  std::unique_ptr<router> routes_;
  std::optional<asio::ssl::context> tls_;
  std::mutex handed_over_mutex_;
  std::vector<std::function<void()>> handed_over_;
  // The routes block on the member: never on the socket thread.
  asio::thread_pool workers_;
  // Declared after what sessions use: its handlers own the sessions and go
  // with it.
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  asio::steady_timer accept_pause_{ioc_};
  std::thread io_thread_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

namespace {

bool is_http_error(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_target).category();
}

template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
  session(server& owner, tcp::socket socket, bool refused)
      : owner_(owner)
      , stream_(make_stream(std::move(socket), owner.tls()))
      , refused_(refused) {}
  ~session() {
    // A stream that took the connection over counts it from then on.
    if (!refused_ && !handed_off_)
      owner_.figures().connection_closed();
  }

  void start() {
    if constexpr (tls) {
      lowest().expires_after(timeout());
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec)
                                  self->begin();
                              });
    } else {
      begin();
    }
  }

private:
  static Stream make_stream(tcp::socket socket, asio::ssl::context* context) {
    if constexpr (tls)
      return Stream{std::move(socket), *context};
    else
      return Stream{std::move(socket)};
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  std::chrono::milliseconds timeout() const { return owner_.settings().header_timeout; }

  void begin() {
    if (refused_)
      return send(error_reply(503, "too_many_connections",
                              "this member serves " +
                                  std::to_string(owner_.settings().max_connections) +
                                  " HTTP connections at most; try again later"),
                  false, std::nullopt);
    read_next();
  }

  void read_next() {
    parser_.emplace();
    parser_->header_limit(owner_.settings().max_header_bytes);
    parser_->body_limit(owner_.settings().max_body_bytes);
    lowest().expires_after(timeout());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return on_read_failed(ec);
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(
          stream_, *go_on,
          [self = this->shared_from_this(), go_on](beast::error_code written, std::size_t) {
            if (!written)
              self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_request(ec);
                     });
  }

  void on_read_failed(beast::error_code ec) {
    auto now = clock_type::now();
    if (ec == http::error::header_limit)
      return send(with_route(error_reply(431, "header_too_large",
                                         "the request header is over " +
                                             std::to_string(owner_.settings().max_header_bytes) +
                                             " bytes")),
                  false, now);
    if (ec == http::error::body_limit)
      return send(
          with_route(error_reply(413, "body_too_large",
                                 "the request body is over " +
                                     std::to_string(owner_.settings().max_body_bytes) + " bytes")),
          false, now);
    if (is_http_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message)
      return send(
          with_route(error_reply(400, "bad_request", "malformed HTTP request: " + ec.message())),
          false, now);
    // Closed, reset, or too slow (slowloris): cut off without a reply.
    lowest().close();
  }

  static reply with_route(reply out, std::string route = "malformed") {
    out.route = std::move(route);
    return out;
  }

  void on_request(beast::error_code ec) {
    if (ec)
      return on_read_failed(ec);
    lowest().expires_never();
    auto& message = parser_->get();
    request req;
    req.method = std::string{message.method_string()};
    req.target = std::string{message.target()};
    req.authorization = std::string{message[http::field::authorization]};
    req.if_match = std::string{message[http::field::if_match]};
    req.body = std::move(message.body());
    bool keep_alive = message.keep_alive();
    auto started = clock_type::now();
    if (beast::websocket::is_upgrade(message))
      return upgrade(std::move(req), started);
    // A large body is parsed (JSON, base64) on a worker: the socket
    // thread's work per request stays small, whatever a client sends.
    auto first = req.body.size() > socket_thread_body_bytes ? answer{on_a_worker{}}
                                                            : owner_.routes().begin(req);
    if (std::holds_alternative<on_a_worker>(first)) {
      asio::post(owner_.workers(), [self = this->shared_from_this(), req = std::move(req),
                                    keep_alive, started]() mutable {
        self->deliver(self->owner_.routes().handle(req), keep_alive, started);
      });
      return;
    }
    deliver(std::move(first), keep_alive, started);
  }

  // From any thread (router.hpp says which answers come from where): the
  // reply is sent on the socket thread; a question's, once it comes.
  void deliver(answer out, bool keep_alive, clock_type::time_point started) {
    auto on_socket_thread = [self = this->shared_from_this(), keep_alive, started](reply r) {
      auto& owner = self->owner_;
      owner.on_socket_thread(
          [self = std::move(self), r = std::move(r), keep_alive, started]() mutable {
            self->send(std::move(r), keep_alive, started);
          });
    };
    std::visit(
        [&](auto& kind) {
          using kind_type = std::decay_t<decltype(kind)>;
          if constexpr (std::is_same_v<kind_type, reply>)
            on_socket_thread(std::move(kind));
          else if constexpr (std::is_same_v<kind_type, on_a_worker>)
            on_socket_thread(error_reply(500, "internal", "a route asked for a worker twice"));
          else
            owner_.routes().ask(std::move(kind), std::move(on_socket_thread));
        },
        out);
  }

  // A WebSocket stream: the router opens its feed on a worker (it may wait
  // for the member) and answers an HTTP error instead when it cannot; the
  // connection is then the stream's.
  void upgrade(request req, clock_type::time_point started) {
    auto& figures = owner_.figures();
    if (figures.open_websockets() >= static_cast<std::int64_t>(owner_.settings().max_websockets))
      return send(with_route(error_reply(503, "too_many_streams",
                                         "this member serves " +
                                             std::to_string(owner_.settings().max_websockets) +
                                             " WebSocket streams at most; try again later"),
                             "stream"),
                  false, started);
    figures.websocket_opened(); // held while the feed opens, so the cap holds
    auto box = std::make_shared<outbox>(owner_.settings().max_stream_backlog_bytes);
    asio::post(owner_.workers(),
               [self = this->shared_from_this(), req = std::move(req), box, started]() mutable {
                 auto answer = self->owner_.routes().open_stream(req, box);
                 auto executor = self->lowest().get_executor();
                 asio::post(executor, [self = std::move(self), answer = std::move(answer), box,
                                       started]() mutable {
                   self->upgraded(std::move(answer), box, started);
                 });
               });
  }

  void upgraded(stream_answer answer, const std::shared_ptr<outbox>& box,
                clock_type::time_point started) {
    if (answer.refusal) {
      owner_.figures().websocket_closed();
      box->detach();
      return send(with_route(std::move(*answer.refusal), answer.route), false, started);
    }
    owner_.figures().request_done(answer.route, 101, clock_type::now() - started);
    handed_off_ = true;
    std::make_shared<websocket_session<Stream>>(std::move(stream_), box, owner_.shared_figures())
        ->start(parser_->release());
  }

  void send(reply out, bool keep_alive, std::optional<clock_type::time_point> started) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), 11);
    response->set(http::field::server, "dref");
    response->set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers)
      response->set(name, value);
    response->body() = std::move(out.body);
    response->keep_alive(keep_alive);
    response->prepare_payload();
    if (started)
      owner_.figures().request_done(out.route, out.status, clock_type::now() - *started);
    // A client that does not read its reply is cut off like a slow one.
    lowest().expires_after(timeout());
    http::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
          if (ec)
            return self->lowest().close();
          if (keep_alive)
            return self->read_next();
          self->close();
        });
  }

  void close() {
    if constexpr (tls) {
      lowest().expires_after(timeout());
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      // Read what the client still sends (the rest of an oversized
      // request) for a moment: closing with unread bytes resets the
      // connection, and the reset can destroy the reply before it is read.
      lowest().expires_after(std::chrono::seconds{1});
      drain();
    }
  }

  void drain() {
    lowest().async_read_some(asio::buffer(drained_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               if (!ec)
                                 self->drain();
                             });
  }

  server& owner_;
  Stream stream_;
  bool refused_;
  bool handed_off_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drained_;
};

} // namespace

result<void> server::listen(const config::tls& tls) {
  beast::error_code ec;
  if (tls.enabled()) {
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1,
                      ec);
    if (!tls.key_passphrase.empty())
      tls_->set_password_callback(
          [passphrase = tls.key_passphrase](std::size_t, asio::ssl::context::password_purpose) {
            return passphrase;
          });
    if (!ec)
      tls_->use_certificate_chain_file(tls.certificate, ec);
    if (!ec)
      tls_->use_private_key_file(tls.key, asio::ssl::context::pem, ec);
    if (ec)
      return error{errc::invalid_config, "the HTTP gateway cannot use tls.certificate '" +
                                             tls.certificate + "' and tls.key '" + tls.key +
                                             "': " + ec.message()};
  }
  auto where = settings_.listen + ":" + std::to_string(settings_.port);
  tcp::resolver resolver{ioc_};
  auto found = resolver.resolve(settings_.listen, std::to_string(settings_.port),
                                tcp::resolver::passive, ec);
  if (ec || found.empty())
    return error{errc::io_failed, "the HTTP gateway cannot resolve " + where + ": " + ec.message()};
  auto endpoint = found.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return error{errc::io_failed,
                 "the HTTP gateway cannot listen on " + where + ": " + ec.message()};
  port_ = acceptor_.local_endpoint().port();
  return {};
}

void server::on_socket_thread(std::function<void()> step) {
  bool first = false;
  {
    std::lock_guard lock{handed_over_mutex_};
    first = handed_over_.empty();
    handed_over_.push_back(std::move(step));
  }
  if (!first)
    return; // the post of the first is still to run and takes this one too
  asio::post(ioc_, [this] {
    std::vector<std::function<void()>> steps;
    {
      std::lock_guard lock{handed_over_mutex_};
      steps.swap(handed_over_);
    }
    for (auto& taken : steps)
      taken();
  });
}

void server::run() {
  accept();
  io_thread_ = std::thread{[this] {
    // Named for `top -H` and perf (else it has the name of the thread that
    // started it, often caf.multiplexer).
    pthread_setname_np(pthread_self(), "dref.http");
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& ex) {
        log(log_level::error, std::string{"HTTP gateway: "} + ex.what());
      }
    }
  }};
}

void server::accept() {
  acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (ec) {
      // Out of descriptors, say: pause rather than spin.
      log(log_level::warn, "HTTP gateway: accept failed: " + ec.message());
      accept_pause_.expires_after(std::chrono::milliseconds{100});
      accept_pause_.async_wait([this](beast::error_code waited) {
        if (!waited)
          accept();
      });
      return;
    }
    serve(std::move(socket));
    accept();
  });
}

void server::serve(tcp::socket socket) {
  bool refused = metrics_->open_connections() >= settings_.max_connections;
  if (refused)
    metrics_->connection_refused();
  else
    metrics_->connection_opened();
  if (tls_)
    std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket),
                                                                    refused)
        ->start();
  else
    std::make_shared<session<beast::tcp_stream>>(*this, std::move(socket), refused)->start();
}

void server::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  ioc_.stop();
  if (io_thread_.joinable())
    io_thread_.join();
  workers_.join();  // each route ends within its timeout
  routes_->drain(); // so does each question
  beast::error_code ignored;
  acceptor_.close(ignored); // no thread runs the context any more
}

result<handle> serve(const config::node_config& cfg, std::unique_ptr<router> routes,
                     std::shared_ptr<metrics> figures) {
  auto running = std::make_unique<server>(cfg, std::move(routes), std::move(figures));
  if (auto listening = running->listen(cfg.tls); !listening)
    return std::move(listening).error();
  running->run();
  return handle{std::move(running)};
}

handle::handle() = default;
handle::handle(std::unique_ptr<server> running)
    : server_(std::move(running)) {}
handle::handle(handle&&) noexcept = default;
handle& handle::operator=(handle&&) noexcept = default;
handle::~handle() = default;

std::uint16_t handle::port() const noexcept {
  return server_ ? server_->port() : 0;
}

void handle::stop() {
  if (server_)
    server_->stop();
}

} // namespace dref::gateway
