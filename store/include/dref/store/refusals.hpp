#pragma once
// Refusals worded once: the store gives them, and so does the redis
// backend where it decides before Redis sees a command (a patch).

#include "dref/protocol/error.hpp"

#include <cstdint>
#include <string>

namespace dref::store {

// A cas or patch that expected another version (0: expected no value).
error version_conflict(const std::string& id, std::uint64_t actual, std::uint64_t expected);

// A fenced write whose token is not the lock's current grant's (current 0:
// nobody holds the lock). errc::not_holder.
error fence_refused(const std::string& lock, std::uint64_t token, std::uint64_t current);

} // namespace dref::store
