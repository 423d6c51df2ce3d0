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
  // Input checks passed and compares held: nothing below can fail, so the
  // writes are all or nothing without an undo.
  for (const auto& write : cmd.writes) {
    if (write.remove)
      (void)on(ctx, cmd_remove{write.id});
    else
      set_value(ctx, write.id, write.value);
  }
  return res_txn{true, ctx.index, 0, 0};
}

} // namespace dref::store
