// lock ID -- CMD: runs CMD while holding the lock, and stops it when the
// lock is lost, as `consul lock` does (README.md, "lock"; what the holder
// may assume: docs/locks.md).
#include "commands.hpp"
#include "errors.hpp"
#include "run_command.hpp"

#include <iostream>

namespace drefctl {

int run(session& s, const lock_command& cmd) {
  s.set_session_ttl(cmd.ttl);
  auto guard = s.context().try_lock_for(dref::manual_id(cmd.id), s.options().timeout);
  if (!guard)
    throw command_failed{
        dref::error{dref::errc::timeout, "lock '" + cmd.id + "' was not granted within --timeout"}};
  lock_watch watch;
  watch.kill_grace = cmd.kill_grace;
  watch.lost = [&]() -> std::optional<std::string> {
    if (!guard->lost())
      return std::nullopt;
    return "lock '" + cmd.id + "' lost (fencing token " + std::to_string(guard->fencing_token())
           + "): no renewal of its session was acknowledged within the TTL ("
           + std::to_string(cmd.ttl.count())
           + " ms; the member is unreachable or slow, or drefctl was paused), or the cluster "
             "expired the session";
  };
  auto outcome = checked(run_command(
      cmd.command, {{"DREF_FENCING_TOKEN", std::to_string(guard->fencing_token())}}, watch));
  guard.reset(); // released before we report
  if (outcome.lost) {
    std::cerr << "drefctl: the command ran under a lost lock and ended with " << outcome.exit_code
              << "; exiting " << exit_lock_lost << '\n';
    return exit_lock_lost;
  }
  return outcome.exit_code;
}

} // namespace drefctl
