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
//                                                     is in place, until l goes down;
//                                                     the actor takes no later request
//                                                     before it is, so a write sent
//                                                     after the watch is seen by l
//   (ref_command_atom, string name, string arg)
//                                   -> string answer, uint64_t version
//   (ref_query_atom, string name, string arg, bool stale)
//                                   -> string answer, uint64_t version
//                                   a named command or query (dref/commands.hpp:
//                                   r.command, r.query / r.stale_query), its
//                                   argument and answer encoded with the ref's
//                                   codec for their types (command_argument and
//                                   command_answer below)
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error
// gives the dref::error back: validation_failed, timeout, ...). The actor
// never blocks: it is built on the ref's requests from actors (ref.hpp).
//
// Across processes. Every node (process) spawns its own ref actor for an
// id, on its own context; they share the value, which lives in the
// backend, not in the actor. An actor of another process may still talk to
// one through CAF's middleman (publish / remote_actor), but only with the
// messages that CAF can serialize:
// - the command and query messages always (strings and integers): the
//   other process needs neither T nor the ref, only ref_command_actor, the
//   subset of ref_actor<T> they form (docs/commands.md has an example of
//   two processes);
// - get, set, cas, remove and watch when T is a type CAF serializes and
//   both actor systems announce it (an inspect() overload, add_message_type);
// - never ref_update (it carries a std::function) nor the fenced writes (a
//   fence is local): in-process only, allowed through
//   CAF_ALLOW_UNSAFE_MESSAGE_TYPE, and refused by CAF if sent to a remote
//   actor (the sender gets an error).
//
// This header includes CAF; ref.hpp does not.

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/ref.hpp"

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>
#include <caf/skip.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <caf/unit.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace dref {

using ref_get_atom = caf::atom_constant<caf::atom("rget")>;
using ref_set_atom = caf::atom_constant<caf::atom("rset")>;
using ref_cas_atom = caf::atom_constant<caf::atom("rcas")>;
using ref_update_atom = caf::atom_constant<caf::atom("rupdate")>;
using ref_watch_atom = caf::atom_constant<caf::atom("rwatch")>;
using ref_remove_atom = caf::atom_constant<caf::atom("rremove")>;
using ref_changed_atom = caf::atom_constant<caf::atom("rchanged")>;
using ref_command_atom = caf::atom_constant<caf::atom("rcommand")>;
using ref_query_atom = caf::atom_constant<caf::atom("rquery")>;

// A named command's or query's argument for the messages above, and its
// answer back, with the codec for their type: binary_codec<A> for a ref of
// binary_codec<T>, raw_codec for raw_codec (codec_of_t).
template <class A, class Codec = binary_codec<A>>
std::string command_argument(const A& arg) {
  return Codec::encode(arg);
}
template <class R, class Codec = binary_codec<R>>
result<R> command_answer(std::string_view bytes) {
  return Codec::decode(bytes);
}

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

// The messages of a ref actor that cross processes whatever T is.
using ref_command_actor = caf::typed_actor<
    caf::replies_to<ref_command_atom, std::string, std::string>::with<std::string, std::uint64_t>,
    caf::replies_to<ref_query_atom, std::string, std::string, bool>::with<std::string,
                                                                          std::uint64_t>>;

template <class T>
using ref_actor = typename ref_command_actor::template extend<
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

// A request's answer delivered through a promise of the actor's.
template <class R, class Self>
caf::typed_response_promise<R> answer_with(Self* self, pending<R> answer) {
  auto promise = self->template make_response_promise<R>();
  deliver_to(std::move(answer), promise);
  return promise;
}

template <class T, class Codec>
typename ref_actor<T>::behavior_type ref_actor_behavior(typename ref_actor<T>::pointer self,
                                                        ref<T, Codec> r) {
  // Watches by listener; a listener's down message ends its watch.
  auto watches = std::make_shared<std::map<caf::actor_addr, subscription>>();
  self->set_down_handler([watches](caf::down_msg& down) { watches->erase(down.source); });
  // Watches asked for and not yet in place. Until they are, every request
  // is skipped: CAF keeps it in the mailbox and offers it again, in order,
  // after the next message handled (the watch's answer), so no write sent
  // after a watch can reach the store before the watch does.
  auto watches_starting = std::make_shared<int>(0);
  using caf::skip;
  return {
      [self, r, watches_starting](ref_get_atom) -> caf::result<T> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.get(self));
      },
      [self, r, watches_starting](ref_set_atom, const T& value) -> caf::result<std::uint64_t> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.set(self, value));
      },
      [self, r, watches_starting](ref_cas_atom, const T& expected,
                                  const T& desired) -> caf::result<bool> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.compare_and_set(self, expected, desired));
      },
      [self, r, watches_starting](ref_update_atom, const ref_update<T>& update) -> caf::result<T> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.update_and_get(self, update.f));
      },
      [self, r, watches_starting](ref_remove_atom) -> caf::result<bool> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.remove(self));
      },
      [self, r, watches_starting](ref_set_atom, const T& value,
                                  const fence& guard) -> caf::result<std::uint64_t> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.set(self, value, guard));
      },
      [self, r, watches_starting](ref_cas_atom, const T& expected, const T& desired,
                                  const fence& guard) -> caf::result<bool> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.compare_and_set(self, expected, desired, guard));
      },
      [self, r, watches_starting](ref_update_atom, const ref_update<T>& update,
                                  const fence& guard) -> caf::result<T> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.update_and_get(self, update.f, guard));
      },
      [self, r, watches_starting](ref_remove_atom, const fence& guard) -> caf::result<bool> {
        if (*watches_starting > 0)
          return skip;
        return answer_with(self, r.remove(self, guard));
      },
      [self, r, watches_starting](ref_command_atom, const std::string& name, const std::string& arg)
          -> caf::result<std::string, std::uint64_t> {
        if (*watches_starting > 0)
          return skip;
        auto promise = self->template make_response_promise<std::string, std::uint64_t>();
        r.core().async_run(self, name, arg, {}, [promise](result<protocol::res_ran> ran) mutable {
          if (ran)
            promise.deliver(std::move(ran->value), ran->version);
          else
            promise.deliver(to_caf_error(ran.error()));
        });
        return promise;
      },
      [self, r, watches_starting](ref_query_atom, const std::string& name, const std::string& arg,
                                  bool stale) -> caf::result<std::string, std::uint64_t> {
        if (*watches_starting > 0)
          return skip;
        auto promise = self->template make_response_promise<std::string, std::uint64_t>();
        r.core().async_query(self, name, arg, stale, {},
                             [promise](result<protocol::query_answer> answered) mutable {
                               if (answered)
                                 promise.deliver(std::move(answered->answer), answered->version);
                               else
                                 promise.deliver(to_caf_error(answered.error()));
                             });
        return promise;
      },
      [self, r, watches, watches_starting](ref_watch_atom,
                                           const caf::actor& listener) -> caf::result<void> {
        if (*watches_starting > 0)
          return skip;
        if (!listener || watches->count(listener.address()) != 0)
          return caf::unit;
        self->monitor(listener);
        (*watches)[listener.address()]; // taken: a repeated request is a no-op
        ++*watches_starting;
        r.on_change(self,
                    [listener](const T& old_value, const T& new_value) {
                      caf::anon_send(listener, ref_changed_atom::value, old_value, new_value);
                    })
            .then(
                [watches, watches_starting, addr = listener.address()](subscription watching) {
                  --*watches_starting;
                  if (auto it = watches->find(addr); it != watches->end())
                    it->second = std::move(watching); // else the listener is gone already
                },
                [watches, watches_starting, addr = listener.address()](const error&) {
                  --*watches_starting;
                  watches->erase(addr);
                });
        return caf::unit;
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
