#pragma once
// Refusals worded once: the store gives them, and so does the redis
// backend where it decides before Redis sees a command (a patch).

#include "dref/protocol/error.hpp"

#include <cstdint>
#include <string>

namespace dref::store {

// A cas or patch that expected another version (0: expected no value).
error version_conflict(const std::string& id, std::uint64_t actual, std::uint64_t expected);

} // namespace dref::store
