// Transactions: compares, then writes at one revision (the contract is
// above protocol::cmd_txn).
#include "context.hpp"

namespace dref::store {

using namespace protocol;

result<store_result> store::on(context& ctx, const cmd_txn& cmd) {
  for (std::size_t i = 0; i < cmd.compares.size(); ++i) {
    const auto& compare = cmd.compares[i];
    auto it = state_.values.find(compare.id);
    std::uint64_t found = it == state_.values.end() ? 0 : it->second.version;
    if (found != compare.version)
      return res_txn{false, 0, static_cast<std::uint32_t>(i), found};
  }
  // Owners are looked up before anything is written: after them nothing
  // can fail, so the writes are all or nothing without an undo.
  std::vector<session_entry*> owners(cmd.writes.size(), nullptr);
  for (std::size_t i = 0; i < cmd.writes.size(); ++i)
    if (!cmd.writes[i].session.empty()) {
      auto session = live_session(cmd.writes[i].session);
      if (!session)
        return session.error();
      owners[i] = *session;
    }
  for (std::size_t i = 0; i < cmd.writes.size(); ++i) {
    const auto& write = cmd.writes[i];
    if (write.remove)
      (void)on(ctx, cmd_remove{write.id});
    else if (owners[i] != nullptr)
      set_owned_value(ctx, write.id, write.value, write.session, *owners[i]);
    else
      set_value(ctx, write.id, write.value);
  }
  return res_txn{true, ctx.index, 0, 0};
}

} // namespace dref::store
