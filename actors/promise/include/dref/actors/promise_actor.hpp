#pragma once
// A promise as a typed CAF actor: spawn_promise_actor(sys, p) returns a
// dref::promise_actor<T> that any actor may request
//
//   (promise_deliver_atom, T) -> bool   true: this request delivered it;
//                                       false: it was delivered before
//   (promise_await_atom)      -> T      once delivered, on any node (request
//                                       with caf::infinite or a timeout
//                                       as long as you would wait)
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error).
// The actor never blocks: it is built on the promise's requests from actors
// (promise.hpp). T must be a type CAF accepts in messages (see
// ref_actor.hpp).
//
// This header includes CAF; promise.hpp does not.

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/promise.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace dref {

using promise_deliver_atom = caf::atom_constant<caf::atom("pdeliver")>;
using promise_await_atom = caf::atom_constant<caf::atom("pawait")>;

template <class T>
using promise_actor =
    caf::typed_actor<typename caf::replies_to<promise_deliver_atom, T>::template with<bool>,
                     typename caf::replies_to<promise_await_atom>::template with<T>>;

namespace detail {

template <class T, class Codec>
typename promise_actor<T>::behavior_type
promise_actor_behavior(typename promise_actor<T>::pointer self, promise<T, Codec> p) {
  return {
      [self, p](promise_deliver_atom, const T& value) {
        auto answer = self->template make_response_promise<bool>();
        deliver_to(p.deliver(self, value), answer);
        return answer;
      },
      [self, p](promise_await_atom) {
        auto answer = self->template make_response_promise<T>();
        deliver_to(p.get(self), answer);
        return answer;
      },
  };
}

} // namespace detail

// The actor serving p. It stops with the actor system or when sent an exit
// message; awaits still open then are not answered.
template <class T, class Codec>
promise_actor<T> spawn_promise_actor(caf::actor_system& sys, promise<T, Codec> p) {
  return sys.spawn(detail::promise_actor_behavior<T, Codec>, std::move(p));
}

} // namespace dref
