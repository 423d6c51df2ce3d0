#pragma once
// Sessions of their own for values with a TTL: opened just before the write
// and renewed by nobody, so the store removes what they own once the TTL
// has passed, on every backend (protocol::cmd_set_owned has the contract,
// docs/keyspace.md the user's view). ref::set_with_ttl and a txn's
// set_with_ttl open them.

#include "dref/protocol/error.hpp"
#include "dref/protocol/store_commands.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace dref::detail {

// A session named uniquely across contexts (by client_id) and within one.
protocol::cmd_session_open ttl_session(std::uint64_t client_id, std::chrono::milliseconds ttl);

// The TTL session's refusals, worded for what was to be written under it
// (`what`, e.g. "ref 'x'"): a TTL the store refuses, or one that passed
// before the write arrived.
error ttl_error(const std::string& what, std::chrono::milliseconds ttl, error e);

// Whether a failed write may still have happened (the answer was lost):
// then a TTL session stays to lapse on its own instead of being closed,
// which would remove a value that may be there.
bool write_may_have_happened(const error& e);

} // namespace dref::detail
