#pragma once
// A ref as a typed CAF actor, for actor programs that would rather send
// messages than hold handles: spawn_ref_actor(sys, r) returns a
// dref::ref_actor<T> that any actor may request
//
//   (ref_get_atom)                  -> T              linearizable read
//   (ref_set_atom, T)               -> uint64_t       the new version
//   (ref_cas_atom, T expected, T v) -> bool           written?
//   (ref_update_atom, ref_update<T>)-> T              the committed value
//   (ref_remove_atom)               -> bool           there was a value
//   ... the four writes with a dref::fence last:      fenced writes (ref.hpp):
//   (ref_set_atom, T, fence), (ref_cas_atom, T, T, fence),
//   (ref_update_atom, ref_update<T>, fence), (ref_remove_atom, fence)
//   (ref_watch_atom, caf::actor l)                    l then receives
//                                                     (ref_changed_atom, T old, T new)
//                                                     for every write after the watch
//                                                     is in place (before any request
//                                                     sent after this one is answered),
//                                                     until l goes down
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error
// gives the dref::error back: validation_failed, timeout, ...). The actor
// never blocks: it is built on the ref's requests from actors (ref.hpp).
// T travels inside CAF messages, so it must be a type CAF accepts: a
// builtin, a type with an inspect() overload, or one declared with
// CAF_ALLOW_UNSAFE_MESSAGE_TYPE (fine in one process).
//
// This header includes CAF; ref.hpp does not.

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <map>
#include <memory>

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/ref.hpp"

namespace dref {

using ref_get_atom = caf::atom_constant<caf::atom("rget")>;
using ref_set_atom = caf::atom_constant<caf::atom("rset")>;
using ref_cas_atom = caf::atom_constant<caf::atom("rcas")>;
using ref_update_atom = caf::atom_constant<caf::atom("rupdate")>;
using ref_watch_atom = caf::atom_constant<caf::atom("rwatch")>;
using ref_remove_atom = caf::atom_constant<caf::atom("rremove")>;
using ref_changed_atom = caf::atom_constant<caf::atom("rchanged")>;

// An update function in a message; it may run more than once (pure).
template <class T>
struct ref_update {
  std::function<T(const T&)> f;
};

} // namespace dref

namespace caf {
template <class T>
struct allowed_unsafe_message_type<dref::ref_update<T>> : std::true_type {};
// In-process only, like ref_update: a fence is a lock id and a token.
template <>
struct allowed_unsafe_message_type<dref::fence> : std::true_type {};
} // namespace caf

namespace dref {

template <class T>
using ref_actor = caf::typed_actor<
  typename caf::replies_to<ref_get_atom>::template with<T>,
  typename caf::replies_to<ref_set_atom, T>::template with<std::uint64_t>,
  typename caf::replies_to<ref_cas_atom, T, T>::template with<bool>,
  typename caf::replies_to<ref_update_atom, ref_update<T>>::template with<T>,
  typename caf::replies_to<ref_remove_atom>::template with<bool>,
  typename caf::replies_to<ref_set_atom, T, fence>::template with<std::uint64_t>,
  typename caf::replies_to<ref_cas_atom, T, T, fence>::template with<bool>,
  typename caf::replies_to<ref_update_atom, ref_update<T>, fence>::template with<T>,
  typename caf::replies_to<ref_remove_atom, fence>::template with<bool>,
  caf::reacts_to<ref_watch_atom, caf::actor>>;

namespace detail {

template <class T, class Codec>
typename ref_actor<T>::behavior_type ref_actor_behavior(typename ref_actor<T>::pointer self,
                                                        ref<T, Codec> r) {
  // Watches by listener; a listener's down message ends its watch.
  auto watches = std::make_shared<std::map<caf::actor_addr, subscription>>();
  self->set_down_handler([watches](caf::down_msg& down) { watches->erase(down.source); });
  return {
    [self, r](ref_get_atom) {
      auto promise = self->template make_response_promise<T>();
      deliver_to(r.get(self), promise);
      return promise;
    },
    [self, r](ref_set_atom, const T& value) {
      auto promise = self->template make_response_promise<std::uint64_t>();
      deliver_to(r.set(self, value), promise);
      return promise;
    },
    [self, r](ref_cas_atom, const T& expected, const T& desired) {
      auto promise = self->template make_response_promise<bool>();
      deliver_to(r.compare_and_set(self, expected, desired), promise);
      return promise;
    },
    [self, r](ref_update_atom, const ref_update<T>& update) {
      auto promise = self->template make_response_promise<T>();
      deliver_to(r.update_and_get(self, update.f), promise);
      return promise;
    },
    [self, r](ref_remove_atom) {
      auto promise = self->template make_response_promise<bool>();
      deliver_to(r.remove(self), promise);
      return promise;
    },
    [self, r](ref_set_atom, const T& value, const fence& guard) {
      auto promise = self->template make_response_promise<std::uint64_t>();
      deliver_to(r.set(self, value, guard), promise);
      return promise;
    },
    [self, r](ref_cas_atom, const T& expected, const T& desired, const fence& guard) {
      auto promise = self->template make_response_promise<bool>();
      deliver_to(r.compare_and_set(self, expected, desired, guard), promise);
      return promise;
    },
    [self, r](ref_update_atom, const ref_update<T>& update, const fence& guard) {
      auto promise = self->template make_response_promise<T>();
      deliver_to(r.update_and_get(self, update.f, guard), promise);
      return promise;
    },
    [self, r](ref_remove_atom, const fence& guard) {
      auto promise = self->template make_response_promise<bool>();
      deliver_to(r.remove(self, guard), promise);
      return promise;
    },
    [self, r, watches](ref_watch_atom, const caf::actor& listener) {
      if (!listener || watches->count(listener.address()) != 0)
        return;
      self->monitor(listener);
      (*watches)[listener.address()]; // taken: a repeated request is a no-op
      r.on_change(self, [listener](const T& old_value, const T& new_value) {
         caf::anon_send(listener, ref_changed_atom::value, old_value, new_value);
       }).then([watches, addr = listener.address()](subscription watching) {
                 if (auto it = watches->find(addr); it != watches->end())
                   it->second = std::move(watching); // else the listener is gone already
               },
               [watches, addr = listener.address()](const error&) { watches->erase(addr); });
    },
  };
}

} // namespace detail

// The actor serving r (and its validator). It stops with the actor system
// or when sent an exit message; its watches end with it.
template <class T, class Codec>
ref_actor<T> spawn_ref_actor(caf::actor_system& sys, ref<T, Codec> r) {
  return sys.spawn(detail::ref_actor_behavior<T, Codec>, std::move(r));
}

} // namespace dref
