#include "dref/config/tls_files.hpp"

#include <memory>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace dref::config {

namespace {

// OpenSSL's own words for the last failure, e.g. "no start line" for a file
// that is not PEM or "bad decrypt" for a wrong passphrase.
std::string last_openssl_error() {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (text.empty()) // the earliest queued error is the root cause
      text = buf;
  }
  return text.empty() ? "unknown error" : text;
}

int passphrase_callback(char* buf, int size, int, void* user) {
  const auto& phrase = *static_cast<const std::string*>(user);
  if (size <= 0 || phrase.size() >= static_cast<std::size_t>(size))
    return 0;
  phrase.copy(buf, phrase.size());
  return static_cast<int>(phrase.size());
}

// The files of one TLS setting and the keys that name them in messages.
struct tls_paths {
  const char* certificate_key;
  const std::string& certificate; // may be empty: no certificate of our own
  const char* key_key;
  const std::string& key;
  const std::string& key_passphrase;
  const char* passphrase_key; // nullptr: the key must not be encrypted
  const char* ca_key;
  const std::string& ca;
};

std::optional<std::string> check_files(const tls_paths& paths) {
  ERR_clear_error();
  auto not_its_key = [&] {
    return std::string{paths.key_key} + ": " + paths.key + " is not the key of " +
           paths.certificate_key + " " + paths.certificate + ": " + last_openssl_error();
  };
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return "cannot set up TLS: " + last_openssl_error();
  if (!paths.certificate.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), paths.certificate.c_str()) != 1)
      return std::string{paths.certificate_key} + ": cannot load " + paths.certificate +
             " as a PEM certificate: " + last_openssl_error();
    // Without a passphrase OpenSSL would prompt on the terminal for an
    // encrypted key; the callback answers for it, empty when none is set.
    SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_callback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(),
                                           const_cast<std::string*>(&paths.key_passphrase));
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), paths.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      // OpenSSL compares a key with the certificate already loaded as it reads it.
      if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
        return not_its_key();
      return std::string{paths.key_key} + ": cannot load " + paths.key + " as a PEM private key" +
             (!paths.passphrase_key ? std::string{" (it must not be encrypted)"}
              : paths.key_passphrase.empty()
                  ? " (encrypted keys need " + std::string{paths.passphrase_key} + ")"
                  : " with " + std::string{paths.passphrase_key}) +
             ": " + last_openssl_error();
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
      return not_its_key();
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), paths.ca.c_str(), nullptr) != 1)
    return std::string{paths.ca_key} + ": cannot load " + paths.ca +
           " as PEM CA certificates: " + last_openssl_error();
  return std::nullopt;
}

} // namespace

std::optional<std::string> check_tls_files(const tls& settings) {
  if (auto bad =
          check_files({"tls.certificate", settings.certificate, "tls.key", settings.key,
                       settings.key_passphrase, "tls.key_passphrase", "tls.ca", settings.ca}))
    return bad;
  if (settings.client_ca.empty())
    return std::nullopt;
  static const std::string none;
  return check_files({"tls.certificate", none, "tls.key", none, none, nullptr, "tls.client_ca",
                      settings.client_ca});
}

std::optional<std::string> check_redis_tls_files(const redis_security& settings) {
  static const std::string no_passphrase;
  return check_files({"redis.tls_certificate", settings.tls_certificate, "redis.tls_key",
                      settings.tls_key, no_passphrase, nullptr, "redis.tls_ca", settings.tls_ca});
}

} // namespace dref::config
