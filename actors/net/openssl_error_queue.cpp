// A fix for CAF 0.17.6's TLS layer, which breaks healthy connections: OpenSSL
// keeps one error queue per thread, and SSL_get_error() reads it to tell why
// an SSL_read/SSL_write/handshake returned, so the queue must be empty before
// each of those calls (OpenSSL's SSL_get_error(3)). CAF's openssl session
// never empties it; after one connection fails (a stranger's refused
// handshake, a peer's close) every other connection served by the same
// thread sees a stale error on its next "would block", is taken for broken,
// and its requests go unanswered. Measured: one junk connection to a member
// left an established client's next request timing out; three members
// dialing each other left two of six links silent. With the queue cleared
// first, both work.
//
// The calls are wrapped by symbol interposition: this program defines them,
// libcaf_openssl (which calls them through the dynamic linker) reaches these
// definitions first, and each clears the calling thread's queue and calls
// libssl's own. Clearing before a call never hides that call's own errors.

#include "openssl_error_queue.hpp"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdexcept>

namespace {

template <class Function>
Function libssl(const char* name) {
  auto* found = ::dlsym(RTLD_NEXT, name);
  if (!found)
    throw std::logic_error(std::string{"libssl has no "} + name);
  return reinterpret_cast<Function>(found);
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto real = libssl<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto real = libssl<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto real = libssl<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static const auto real = libssl<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

int SSL_shutdown(SSL* ssl) {
  static const auto real = libssl<int (*)(SSL*)>("SSL_shutdown");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"

namespace dref::net::detail {

bool openssl_error_queue_fix_linked() noexcept {
  return true;
}

} // namespace dref::net::detail
