// Transactions through a context (the contract is in txn.hpp): one
// cmd_txn, blocking or from an actor.
#include "context_impl.hpp"
#include "dref/context.hpp"
#include "value_cache.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref {

namespace {

result<txn_result> outcome_of(const std::shared_ptr<detail::context_impl>& impl,
                              const protocol::cmd_txn& cmd, result<protocol::store_result> got) {
  if (!got)
    return std::move(got).error();
  auto* answer = std::get_if<protocol::res_txn>(&*got);
  if (answer == nullptr)
    return error{errc::internal, "txn: the backend answered with another result type"};
  txn_result out;
  out.committed = answer->committed;
  out.version = answer->version;
  if (!answer->committed) {
    if (answer->failed_compare >= cmd.compares.size())
      return error{errc::internal, "txn: the backend named a compare the txn does not have"};
    out.failed_compare = answer->failed_compare;
    out.failed_id = cmd.compares[answer->failed_compare].id;
    out.found_version = answer->found_version;
    return out;
  }
  // This context reads its own writes through get_cached() too (a copy
  // made later reads first anyway).
  for (const auto& write : cmd.writes)
    if (auto copy = impl->held_cache(write.id))
      copy->raise_floor(answer->version);
  return out;
}

} // namespace

txn_result context::commit(const txn& t) {
  return try_commit(t).value();
}

result<txn_result> context::try_commit(const txn& t, detail::timeout_ms timeout) {
  if (t.refused())
    return *t.refused();
  return outcome_of(impl_, t.command(), impl_->propose(t.command(), timeout));
}

void context::async_commit(const std::shared_ptr<detail::context_impl>& impl,
                           caf::scheduled_actor* self, const txn& t, detail::timeout_ms timeout,
                           std::function<void(result<txn_result>)> done) {
  if (t.refused())
    return done(*t.refused());
  impl->async_propose(
      self, t.command(), timeout,
      [impl, cmd = t.command(), done = std::move(done)](result<protocol::store_result> got) {
        done(outcome_of(impl, cmd, std::move(got)));
      });
}

} // namespace dref
