#include "commands.hpp"
#include "errors.hpp"
#include "run_command.hpp"

namespace drefctl {

int run(session& s, const lock_command& cmd) {
  auto guard = s.context().try_lock_for(dref::manual_id(cmd.id), s.options().timeout);
  if (!guard)
    throw command_failed{
        dref::error{dref::errc::timeout, "lock '" + cmd.id + "' was not granted within --timeout"}};
  auto exit_code =
      run_command(cmd.command, {{"DREF_FENCING_TOKEN", std::to_string(guard->fencing_token())}});
  guard.reset(); // released before we report
  return checked(std::move(exit_code));
}

} // namespace drefctl
