#pragma once
// A lock as a typed CAF actor: spawn_lock_actor(sys, ctx, id) returns a
// dref::lock_actor that any actor may request
//
//   (lock_acquire_atom)                 -> uint64_t   the fencing token, once granted
//   (lock_try_acquire_atom)             -> uint64_t   the fencing token, or 0 when
//                                                     someone else holds the lock
//   (lock_release_atom, uint64_t token) -> void       one level of the requester's hold
//
// The holder is the requesting actor (acquiring again is reentrant; every
// level takes a release). While it holds the lock it receives
// (lock_lost_atom, std::string id, uint64_t token) should the grant be lost
// (the context's session lapsed: a long pause, a partition; when it is told
// is in docs/locks.md), and a release under that token then fails with
// session_expired. A requester
// that terminates lets go of what it held; one that terminates while
// waiting lets go of the grant as soon as it comes.
//
// acquire waits in the backend's queue for as long as the lock is held
// elsewhere: request it with caf::infinite or a generous timeout, since a
// requester that gave up is still granted the lock (and, alive, holds it).
// Failures arrive as caf::error in dref's category (dref::from_caf_error:
// not_holder, session_expired, timeout, ...). The actor never blocks; it is
// built on context::lock(self, id) and friends. Locks still held when it
// stops are released when the context shuts down or its session lapses.
//
// This header includes CAF; lock.hpp and context.hpp do not.

#include "dref/context.hpp"
#include "dref/protocol/caf/bridge.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/delegated.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <memory>
#include <set>

namespace dref {

using lock_acquire_atom = caf::atom_constant<caf::atom("lacquire")>;
using lock_try_acquire_atom = caf::atom_constant<caf::atom("ltryacq")>;
using lock_release_atom = caf::atom_constant<caf::atom("lrelease")>;
using lock_lost_atom = caf::atom_constant<caf::atom("llost")>;

using lock_actor = caf::typed_actor<caf::replies_to<lock_acquire_atom>::with<std::uint64_t>,
                                    caf::replies_to<lock_try_acquire_atom>::with<std::uint64_t>,
                                    caf::replies_to<lock_release_atom, std::uint64_t>::with<void>>;

namespace detail {

// The levels each live requester holds, by token; a requester is monitored
// from its first request on and forgotten when it goes down.
using lock_holders = std::map<caf::actor_addr, std::multiset<std::uint64_t>>;

// Takes the request's sender before the promise does (making a promise
// moves the sender out of the current message).
inline caf::typed_response_promise<std::uint64_t>
serve_acquire(lock_actor::pointer self, const lock_core& core,
              const std::shared_ptr<lock_holders>& holders,
              std::optional<std::chrono::milliseconds> wait) {
  auto requester = caf::actor_cast<caf::actor>(self->current_sender());
  auto promise = self->make_response_promise<std::uint64_t>();
  if (!requester) {
    promise.deliver(to_caf_error(error{
        errc::invalid_argument, "lock '" + core.id + "': an anonymous request cannot hold it"}));
    return promise;
  }
  auto addr = requester.address();
  if (holders->count(addr) == 0) {
    self->monitor(requester);
    (*holders)[addr];
  }
  auto granted = std::make_shared<std::uint64_t>(0);
  auto on_lost = [self, holders, addr, requester, granted, id = core.id] {
    if (auto it = holders->find(addr); it != holders->end())
      it->second.erase(*granted);
    caf::anon_send(requester, lock_lost_atom::value, id, *granted);
  };
  core.acquire(self, actor_owner(requester.id()), wait, on_lost,
               [self, core, holders, addr, granted,
                promise](result<std::optional<std::uint64_t>> got) mutable {
                 if (!got) {
                   promise.deliver(to_caf_error(got.error()));
                 } else if (!*got) {
                   promise.deliver(std::uint64_t{0});
                 } else if (auto it = holders->find(addr); it == holders->end()) {
                   core.release(self, **got, [](result<void>) {}); // went down while waiting
                 } else {
                   *granted = **got;
                   it->second.insert(**got);
                   promise.deliver(**got);
                 }
               });
  return promise;
}

inline lock_actor::behavior_type lock_actor_behavior(lock_actor::pointer self, lock_core core) {
  auto holders = std::make_shared<lock_holders>();
  self->set_down_handler([self, core, holders](caf::down_msg& down) {
    auto it = holders->find(down.source);
    if (it == holders->end())
      return;
    for (auto token : it->second)
      core.release(self, token, [](result<void>) {}); // best effort: else the session's end
    holders->erase(it);
  });
  return {
      [self, core, holders](lock_acquire_atom) {
        return serve_acquire(self, core, holders, std::nullopt);
      },
      [self, core, holders](lock_try_acquire_atom) {
        return serve_acquire(self, core, holders, std::chrono::milliseconds{0});
      },
      [self, core, holders](lock_release_atom, std::uint64_t token) -> caf::delegated<void> {
        auto it = holders->find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        auto promise = self->make_response_promise();
        auto level = it == holders->end() ? std::multiset<std::uint64_t>::iterator{}
                                          : it->second.find(token);
        if (it == holders->end() || level == it->second.end()) {
          auto lost = core.lost_grant(token);
          promise.deliver(to_caf_error(
              lost ? *lost
                   : error{errc::not_holder, "lock '" + core.id +
                                                 "': the requester holds no level under token " +
                                                 std::to_string(token)}));
          return {};
        }
        it->second.erase(level);
        core.release(self, token, [promise](result<void> released) mutable {
          if (released)
            promise.deliver(caf::unit);
          else
            promise.deliver(to_caf_error(released.error()));
        });
        return {};
      },
  };
}

} // namespace detail

// The actor serving lock id through ctx (which it keeps alive). It stops
// with the actor system or when sent an exit message.
inline lock_actor spawn_lock_actor(caf::actor_system& sys, const context& ctx, const dref::id& id) {
  return sys.spawn(detail::lock_actor_behavior, ctx.lock_core(id));
}

} // namespace dref
