// This program's leader hooks (the contract is in dref/leader_hooks.hpp):
// registrations add under a lock, and each member takes a copy when it
// starts.
#include "dref/leader_hooks.hpp"

#include <mutex>

namespace dref {

namespace {

std::mutex hooks_mutex;

leader_hook_set& program_hooks() {
  static leader_hook_set hooks;
  return hooks;
}

template <class F>
leader_hooks_registrar& add(std::vector<F> leader_hook_set::*kind, F f) {
  std::lock_guard guard{hooks_mutex};
  (program_hooks().*kind).push_back(std::move(f));
  return leader_hooks();
}

} // namespace

leader_hooks_registrar&
leader_hooks_registrar::on_elected(std::function<void(const std::string&, std::uint64_t)> f) {
  return add(&leader_hook_set::elected, std::move(f));
}

leader_hooks_registrar&
leader_hooks_registrar::on_command_committed(std::function<void(const committed_command&)> f) {
  return add(&leader_hook_set::command_committed, std::move(f));
}

leader_hooks_registrar&
leader_hooks_registrar::on_follower_added(std::function<void(const std::string&)> f) {
  return add(&leader_hook_set::follower_added, std::move(f));
}

leader_hooks_registrar&
leader_hooks_registrar::on_follower_removed(std::function<void(const std::string&)> f) {
  return add(&leader_hook_set::follower_removed, std::move(f));
}

leader_hooks_registrar& leader_hooks_registrar::on_restored(std::function<void(std::uint64_t)> f) {
  return add(&leader_hook_set::restored, std::move(f));
}

leader_hooks_registrar& leader_hooks() {
  static leader_hooks_registrar registrar;
  return registrar;
}

std::shared_ptr<const leader_hook_set> registered_leader_hooks() {
  std::lock_guard guard{hooks_mutex};
  return std::make_shared<const leader_hook_set>(program_hooks());
}

} // namespace dref
