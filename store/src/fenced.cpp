// Fenced writes: a write that commits only while the lock it names is held
// under the token it carries (the contract is above cmd_fenced in
// protocol/store_commands.hpp).
#include "context.hpp"
#include "dref/store/refusals.hpp"

namespace dref::store {

using namespace protocol;

result<store_result> store::on(context& ctx, const cmd_fenced& cmd) {
  // Sessions that were due expired before this command (store::apply), so
  // a holder that lapsed no longer holds the lock here.
  auto it = state_.locks.find(cmd.fence.lock);
  std::uint64_t current = 0;
  if (it != state_.locks.end() && !it->second.session.empty())
    current = it->second.token;
  // Tokens are log indexes (never 0), so token 0 never matches a free lock.
  if (current == 0 || current != cmd.fence.token)
    return fence_refused(cmd.fence.lock, cmd.fence.token, current);
  return std::visit([&](const auto& write) { return on(ctx, write); }, cmd.write);
}

} // namespace dref::store
