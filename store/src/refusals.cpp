#include "dref/store/refusals.hpp"

namespace dref::store {

error version_conflict(const std::string& id, std::uint64_t actual, std::uint64_t expected) {
  if (expected == 0)
    return error{errc::version_conflict, "ref '" + id + "' exists (version " +
                                             std::to_string(actual) +
                                             "); expected version 0 means absent"};
  return error{errc::version_conflict, "ref '" + id + "' is at version " + std::to_string(actual) +
                                           ", expected " + std::to_string(expected)};
}

error fence_refused(const std::string& lock, std::uint64_t token, std::uint64_t current) {
  std::string state = current == 0 ? "is not held by anyone"
                                   : "is held under fencing token " + std::to_string(current);
  return error{errc::not_holder, "lock '" + lock + "' " + state + ", not under fencing token " +
                                     std::to_string(token) + ": the fenced write is refused"};
}

} // namespace dref::store
