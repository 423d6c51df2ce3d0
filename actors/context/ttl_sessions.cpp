#include "ttl_sessions.hpp"

#include <atomic>
#include <cstdio>

namespace dref::detail {

protocol::cmd_session_open ttl_session(std::uint64_t client_id, std::chrono::milliseconds ttl) {
  static std::atomic<std::uint64_t> opened{0};
  char name[64];
  std::snprintf(name, sizeof(name), "ttl-%016llx-%llu", static_cast<unsigned long long>(client_id),
                static_cast<unsigned long long>(++opened));
  return protocol::cmd_session_open{name, static_cast<std::uint64_t>(ttl.count())};
}

error ttl_error(const std::string& what, std::chrono::milliseconds ttl, error e) {
  if (e.code == errc::invalid_argument)
    return error{e.code, what + ": a TTL of " + std::to_string(ttl.count()) + " ms is refused (" +
                             e.message + "); nothing was written"};
  if (e.code == errc::unknown_session)
    return error{e.code, what + ": its TTL of " + std::to_string(ttl.count()) +
                             " ms passed before the write arrived; nothing was written"};
  return e;
}

bool write_may_have_happened(const error& e) {
  switch (e.code) {
    case errc::timeout:
    case errc::unavailable:
    case errc::shutting_down:
    case errc::io_failed:
      return true;
    default:
      return false;
  }
}

} // namespace dref::detail
