#pragma once
// When the program's leader hooks run (dref/leader_hooks.hpp has their
// contract), as the node actor tells this part what happens: after each
// ready round whether the member leads, and every entry it applied. It
// calls the hooks one by one, each guarded: what one throws goes to
// `report` and the member goes on. No CAF, no clock.

#include "dref/leader_hooks.hpp"
#include "dref/raft/core/types.hpp"
#include "state_machine.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dref::raft::node {

class leader_hook_calls {
public:
  using reporter = std::function<void(const std::string& what_failed)>;
  using namer = std::function<std::string(core::node_id)>;

  leader_hook_calls() = default;
  // restarted: the member started from its data directory. hooks may be
  // null (none).
  leader_hook_calls(std::shared_ptr<const leader_hook_set> hooks, std::string own_name,
                    bool restarted, reporter report);

  // After a ready round: whether the member leads now, in which term, and
  // how far it applied.
  void leading(bool now, std::uint64_t term, std::uint64_t applied);
  // An entry applied while the member led or not; name_of names a member
  // of a membership change.
  void applied(bool leading, const core::entry& entry, const state_machine::applied_entry& what,
               const namer& name_of);

private:
  template <class Hooks, class... Args>
  void call(const Hooks& hooks, const char* kind, const Args&... args);

  std::shared_ptr<const leader_hook_set> hooks_;
  std::string own_name_;
  bool restored_pending_ = false;
  bool leading_ = false;
  std::uint64_t term_ = 0;
  reporter report_;
};

} // namespace dref::raft::node
