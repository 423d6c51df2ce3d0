#include "redis/transport.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

namespace dref::redis {

namespace {

using state = io_step::state;

// OpenSSL's words for the earliest queued error, the root cause; the queue
// is left empty.
std::string openssl_failure() {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (text.empty())
      text = buf;
  }
  return text.empty() ? "unknown TLS error" : text;
}

io_step would_block_or_failed(int error_number, state waiting) {
  if (error_number == EAGAIN || error_number == EWOULDBLOCK || error_number == EINTR)
    return {waiting};
  return {state::failed, 0, std::strerror(error_number)};
}

class plain_transport final : public transport {
public:
  explicit plain_transport(int socket)
      : socket_(socket) {}

  io_step handshake() override { return {}; }

  io_step read(char* buffer, std::size_t size) override {
    auto got = ::recv(socket_, buffer, size, 0);
    if (got > 0)
      return {state::done, static_cast<std::size_t>(got)};
    if (got == 0)
      return {state::closed};
    return would_block_or_failed(errno, state::want_read);
  }

  io_step write(const char* data, std::size_t size) override {
    auto sent = ::send(socket_, data, size, MSG_NOSIGNAL);
    if (sent >= 0)
      return {state::done, static_cast<std::size_t>(sent)};
    return would_block_or_failed(errno, state::want_write);
  }

  bool buffered() const override { return false; }

private:
  int socket_;
};

// Every SSL call first empties this thread's OpenSSL error queue:
// SSL_get_error reads it, and a stale entry left by another connection
// would make a healthy one look broken (actors/net/libssl_calls.cpp).
class tls_transport final : public transport {
public:
  explicit tls_transport(SSL* ssl)
      : ssl_(ssl, SSL_free) {}

  io_step handshake() override {
    ERR_clear_error();
    return outcome(SSL_connect(ssl_.get()));
  }

  io_step read(char* buffer, std::size_t size) override {
    ERR_clear_error();
    return outcome(SSL_read(ssl_.get(), buffer, static_cast<int>(size)));
  }

  io_step write(const char* data, std::size_t size) override {
    ERR_clear_error();
    return outcome(SSL_write(ssl_.get(), data, static_cast<int>(size)));
  }

  bool buffered() const override { return SSL_pending(ssl_.get()) > 0; }

private:
  io_step outcome(int rc) {
    if (rc > 0)
      return {state::done, static_cast<std::size_t>(rc)};
    int saved_errno = errno;
    switch (SSL_get_error(ssl_.get(), rc)) {
      case SSL_ERROR_WANT_READ:
        return {state::want_read};
      case SSL_ERROR_WANT_WRITE:
        return {state::want_write};
      case SSL_ERROR_ZERO_RETURN:
        return {state::closed};
      case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0)
          return saved_errno == 0 ? io_step{state::closed}
                                  : io_step{state::failed, 0, std::strerror(saved_errno)};
        break;
      default:
        break;
    }
    // A refused certificate is named as such, with the reason: the
    // queued error alone says only "certificate verify failed".
    if (auto verdict = SSL_get_verify_result(ssl_.get()); verdict != X509_V_OK) {
      ERR_clear_error();
      return {state::failed, 0,
              std::string{"certificate verify failed: "} + X509_verify_cert_error_string(verdict)};
    }
    return {state::failed, 0, openssl_failure()};
  }

  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
};

class plain_factory final : public transport_factory {
public:
  result<std::unique_ptr<transport>> open(int socket, const std::string&) override {
    return std::unique_ptr<transport>{std::make_unique<plain_transport>(socket)};
  }
};

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

class tls_factory final : public transport_factory {
public:
  tls_factory(SSL_CTX* context, std::string server_name)
      : context_(context, SSL_CTX_free)
      , server_name_(std::move(server_name)) {}

  result<std::unique_ptr<transport>> open(int socket, const std::string& host) override {
    ERR_clear_error();
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl{SSL_new(context_.get()), SSL_free};
    if (!ssl || SSL_set_fd(ssl.get(), socket) != 1)
      return error{errc::io_failed, "cannot set up TLS: " + openssl_failure()};
    const auto& name = server_name_.empty() ? host : server_name_;
    // An address is checked against the certificate's IP entries; a name
    // against its DNS entries, and sent as SNI (which takes no addresses).
    bool named = is_ip_address(name)
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str()) == 1
                     : SSL_set_tlsext_host_name(ssl.get(), name.c_str()) == 1 &&
                           SSL_set1_host(ssl.get(), name.c_str()) == 1;
    if (!named)
      return error{errc::invalid_config, "cannot check the Redis server's certificate for '" +
                                             name + "': " + openssl_failure()};
    SSL_set_connect_state(ssl.get());
    return std::unique_ptr<transport>{std::make_unique<tls_transport>(ssl.release())};
  }

private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::string server_name_;
};

} // namespace

result<std::shared_ptr<transport_factory>>
transport_factory::create(const config::redis_security& settings) {
  if (!settings.tls)
    return std::shared_ptr<transport_factory>{std::make_shared<plain_factory>()};
  ERR_clear_error();
  auto* context = SSL_CTX_new(TLS_client_method());
  if (!context)
    return error{errc::io_failed, "cannot set up TLS: " + openssl_failure()};
  auto factory = std::make_shared<tls_factory>(context, settings.tls_server_name);
  auto refuse = [](const std::string& what) {
    return error{errc::invalid_config, what + ": " + openssl_failure()};
  };
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // The client's output buffer grows and moves between the retries of one
  // write; each retry starts with the same bytes.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context, settings.tls_ca.c_str(), nullptr) != 1)
    return refuse("redis.tls_ca: cannot load " + settings.tls_ca);
  if (!settings.tls_certificate.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context, settings.tls_certificate.c_str()) != 1)
      return refuse("redis.tls_certificate: cannot load " + settings.tls_certificate);
    if (SSL_CTX_use_PrivateKey_file(context, settings.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(context) != 1)
      return refuse("redis.tls_key: cannot load " + settings.tls_key + " as the key of " +
                    settings.tls_certificate);
  }
  return std::shared_ptr<transport_factory>{std::move(factory)};
}

} // namespace dref::redis
