#pragma once
// The dref error vocabulary, shared by every layer. Pure C++: the CAF error
// category that carries these codes across actor boundaries lives in
// caf/bridge.hpp.

#include <cstdint>
#include <string>
#include <string_view>

namespace dref {

// Append only: the numeric values cross the wire and land in logs.
enum class errc : std::uint8_t {
  invalid_argument = 1,      // malformed input that no retry can fix
  invalid_id,                // id too long, empty or with forbidden characters
  value_too_large,           // value or message over the configured limit
  not_found,                 // no such key, lock, topic, promise, member ...
  already_exists,            // create on an existing id, duplicate member
  version_conflict,          // cas/patch saw another version than expected
  validation_failed,         // a user validator refused the new value
  not_holder,                // release/renew by someone who does not hold it
  stale_token,               // a fencing token older than the current grant
  would_block,               // try-lock on a held lock
  compacted,                 // read below the retained history
  already_delivered,         // second deliver of a promise
  unknown_session,           // session never opened, or already closed
  session_expired,           // session lapsed: everything it held is gone
  not_leader,                // raft: ask the leader instead
  timeout,                   // no answer in time: the outcome is unknown
  unavailable,               // backend or quorum unreachable right now
  decode_failed,             // bytes that are not a valid encoding
  wire_version_mismatch,     // a peer speaks another wire-format version
  shutting_down,             // the context or node is stopping
  unknown_command,           // a named command not registered on this node
  limit_exceeded,            // retention, queue or count limit reached
  io_failed,                 // disk or socket error
  corrupt_data,              // checksum mismatch or impossible on-disk state
  invalid_config,            // a configuration value that is not allowed
  retries_exhausted,         // update(f) lost every attempt to concurrent writers
  wrong_type,                // the stored value is not of the expected type
  membership_change_pending, // raft: one change at a time
  internal,                  // a bug: please report it
  permission_denied,         // not for this principal, e.g. an admin request on a client port
  body_failed,               // a delay's body failed (threw), on this node or another
  broken,                    // a barrier's round broke: a participant left before all arrived
  command_failed,            // a user's named command or query threw: nothing changed
};

// Stable lower-case name, e.g. "version_conflict".
std::string_view to_string(errc code) noexcept;

// A code plus a message written for the person reading it: it names the
// thing involved and, where it helps, what is allowed.
struct error {
  errc code = errc::internal;
  std::string message;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(code, message);
  }

  // "version_conflict: ref 'x' is at version 7, expected 5"
  std::string to_string() const;

  friend bool operator==(const error&, const error&) = default;
};

inline error make_error(errc code, std::string message) {
  return error{code, std::move(message)};
}

} // namespace dref
