#include "leader_hook_calls.hpp"

#include "dref/protocol/codec.hpp"
#include "dref/protocol/raft_log_entry.hpp"

#include <exception>

namespace dref::raft::node {

leader_hook_calls::leader_hook_calls(std::shared_ptr<const leader_hook_set> hooks,
                                     std::string own_name, bool restarted, reporter report)
    : hooks_(std::move(hooks))
    , own_name_(std::move(own_name))
    , restored_pending_(restarted)
    , report_(std::move(report)) {}

template <class Hooks, class... Args>
void leader_hook_calls::call(const Hooks& hooks, const char* kind, const Args&... args) {
  for (const auto& hook : hooks) {
    try {
      hook(args...);
    } catch (const std::exception& ex) {
      if (report_)
        report_(std::string{"leader hook "} + kind + " threw: " + ex.what());
    } catch (...) {
      if (report_)
        report_(std::string{"leader hook "} + kind + " threw something not a std::exception");
    }
  }
}

void leader_hook_calls::leading(bool now, std::uint64_t term, std::uint64_t applied) {
  bool elected = now && (!leading_ || term != term_);
  leading_ = now;
  term_ = term;
  if (!elected || !hooks_)
    return;
  call(hooks_->elected, "on_elected", own_name_, term);
  if (restored_pending_) {
    restored_pending_ = false;
    call(hooks_->restored, "on_restored", applied);
  }
}

void leader_hook_calls::applied(bool leading, const core::entry& entry,
                                const state_machine::applied_entry& what, const namer& name_of) {
  if (!leading || !hooks_ || !what.fresh)
    return;
  if (what.command && what.reply && !what.reply->error) {
    if (const auto* ran = std::get_if<protocol::res_ran>(&what.reply->value))
      call(hooks_->command_committed, "on_command_committed",
           committed_command{own_name_, what.command->id, what.command->command, what.command->args,
                             ran->value, ran->version});
    return;
  }
  if (entry.type != core::entry_type::config)
    return;
  auto change = protocol::decode<protocol::raft_conf_change>(entry.data);
  if (!change)
    return; // the core refuses what it cannot decode; nothing changed
  using type = protocol::raft_conf_change_type;
  if (change->type == type::add_learner || change->type == type::add_voter)
    call(hooks_->follower_added, "on_follower_added", name_of(change->node));
  else if (change->type == type::remove)
    call(hooks_->follower_removed, "on_follower_removed", name_of(change->node));
}

} // namespace dref::raft::node
