#pragma once
// Whether a TLS configuration can work, checked before anything listens or
// dials: CAF's TLS layer reads these files again for every connection and
// aborts the whole process when one fails to load (CAF 0.17.6), so a bad
// path must stop a program at start, not at its first connection.

#include "dref/config/node_config.hpp"

#include <optional>
#include <string>

namespace dref::config {

// Loads tls.certificate (a PEM chain), tls.key (with tls.key_passphrase) and
// tls.ca as OpenSSL will, and checks that the key belongs to the
// certificate. What is wrong, naming the key and the file, or nothing.
// Only for a configuration with tls.enabled().
std::optional<std::string> check_tls_files(const tls& settings);

// The same for the redis backend's TLS: redis.tls_ca, and
// redis.tls_certificate with redis.tls_key when they are set. Only for a
// configuration with redis_security.tls.
std::optional<std::string> check_redis_tls_files(const redis_security& settings);

} // namespace dref::config
