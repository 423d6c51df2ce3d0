#include "errors.hpp"

namespace drefctl {

int exit_code_for(dref::errc code) {
  using dref::errc;
  switch (code) {
    case errc::version_conflict:
    case errc::already_exists:
    case errc::membership_change_pending:
    case errc::stale_token:
    case errc::not_holder:
    case errc::would_block:
    case errc::broken:
      return exit_precondition;
    case errc::timeout:
      return exit_timeout;
    case errc::invalid_id:
    case errc::invalid_argument:
      return exit_usage;
    default:
      return exit_other;
  }
}

} // namespace drefctl
