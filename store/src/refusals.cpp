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

} // namespace dref::store
