#pragma once
// dref::fence: the lock grant a fenced write depends on (ref<T>'s set, cas,
// update and remove taking a fence). The write commits only while that
// grant is still the lock's current one, checked atomically with the write
// by the store itself; the contract is written once, above cmd_fenced in
// protocol/store_commands.hpp.
//
// Made from a lock_guard of this process (r.set(v, guard) converts), or
// from a lock id and a token handed over by another process (drefctl lock
// sets $DREF_FENCING_TOKEN for its command):
//   r.set(v, dref::fence{dref::manual_id("jobs/nightly"), token});

#include "dref/id.hpp"
#include "dref/lock.hpp"
#include "dref/protocol/store_commands.hpp"

#include <cstdint>
#include <string>

namespace dref {

class fence {
public:
  // Fences nothing (writes under it fail with not_holder); there so that a
  // fence can travel in CAF messages (ref_actor.hpp).
  fence() = default;
  fence(const dref::id& lock, std::uint64_t fencing_token)
      : wire_{lock.str(), fencing_token} {}
  // A guard that holds nothing (released, moved from) fences nothing: its
  // writes fail with errc::not_holder before anything is sent.
  fence(const lock_guard& guard) {
    if (guard.owns_lock())
      wire_ = protocol::write_fence{guard.id(), guard.fencing_token()};
  }

  const std::string& lock() const noexcept { return wire_.lock; }
  std::uint64_t token() const noexcept { return wire_.token; }
  const protocol::write_fence& wire() const noexcept { return wire_; }

private:
  protocol::write_fence wire_;
};

} // namespace dref
