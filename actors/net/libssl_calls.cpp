// Every libssl call CAF 0.17.6's openssl module makes passes here, for two
// reasons.
//
// 1. Bounds (tls_guard.hpp): CAF has none on the connections it accepts or
// the messages it reads; the guard sees CAF's SSL_accept, SSL_read and
// SSL_free calls and fails the ones over a bound.
//
// 2. A fix for CAF's TLS layer, which breaks healthy connections: OpenSSL
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
// Other TLS users in the process (the HTTP gateway, the redis client) pass
// here too: they get the queue cleared, never the bounds.

#include "libssl_calls.hpp"

#include "tls_guard.hpp"

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

// Fails a call of CAF's: the error queued makes SSL_get_error say
// SSL_ERROR_SSL, and CAF drops the connection as broken.
int refuse_for_caf() {
  ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "closed by dref's connection bounds");
  return -1;
}

} // namespace

namespace guard = dref::net::detail;

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto real = libssl<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  auto got = real(ssl, buf, num);
  if (got > 0 && guard::called_by_caf(__builtin_return_address(0)) &&
      !guard::admit_read(ssl, buf, got))
    return refuse_for_caf();
  return got;
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto real = libssl<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto real = libssl<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  bool by_caf = guard::called_by_caf(__builtin_return_address(0));
  if (by_caf && !guard::admit_accept(ssl))
    return refuse_for_caf();
  auto result = real(ssl);
  if (by_caf)
    guard::accept_returned(ssl, result);
  return result;
}

void SSL_free(SSL* ssl) {
  static const auto real = libssl<void (*)(SSL*)>("SSL_free");
  if (ssl != nullptr && guard::called_by_caf(__builtin_return_address(0)))
    guard::forget(ssl);
  real(ssl);
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

bool libssl_calls_linked() noexcept {
  return true;
}

} // namespace dref::net::detail
