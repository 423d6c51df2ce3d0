#include "dref/protocol/error.hpp"

namespace dref {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::invalid_id:
      return "invalid_id";
    case errc::value_too_large:
      return "value_too_large";
    case errc::not_found:
      return "not_found";
    case errc::already_exists:
      return "already_exists";
    case errc::version_conflict:
      return "version_conflict";
    case errc::validation_failed:
      return "validation_failed";
    case errc::not_holder:
      return "not_holder";
    case errc::stale_token:
      return "stale_token";
    case errc::would_block:
      return "would_block";
    case errc::compacted:
      return "compacted";
    case errc::already_delivered:
      return "already_delivered";
    case errc::unknown_session:
      return "unknown_session";
    case errc::session_expired:
      return "session_expired";
    case errc::not_leader:
      return "not_leader";
    case errc::timeout:
      return "timeout";
    case errc::unavailable:
      return "unavailable";
    case errc::decode_failed:
      return "decode_failed";
    case errc::wire_version_mismatch:
      return "wire_version_mismatch";
    case errc::shutting_down:
      return "shutting_down";
    case errc::unknown_command:
      return "unknown_command";
    case errc::limit_exceeded:
      return "limit_exceeded";
    case errc::io_failed:
      return "io_failed";
    case errc::corrupt_data:
      return "corrupt_data";
    case errc::invalid_config:
      return "invalid_config";
    case errc::retries_exhausted:
      return "retries_exhausted";
    case errc::wrong_type:
      return "wrong_type";
    case errc::membership_change_pending:
      return "membership_change_pending";
    case errc::internal:
      return "internal";
    case errc::permission_denied:
      return "permission_denied";
    case errc::body_failed:
      return "body_failed";
    case errc::broken:
      return "broken";
    case errc::command_failed:
      return "command_failed";
  }
  return "unknown_error";
}

std::string error::to_string() const {
  std::string out{dref::to_string(code)};
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

} // namespace dref
