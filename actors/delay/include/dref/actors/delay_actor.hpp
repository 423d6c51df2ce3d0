#pragma once
// A delay as a typed CAF actor: spawn_delay_actor(sys, d) returns a
// dref::delay_actor<T> that any actor may request
//
//   (delay_get_atom) -> T   the value, computed once in the whole cluster:
//                           this actor runs d's body (in its own context)
//                           only if its claim wins; otherwise it waits for
//                           the node that runs it (request with caf::infinite
//                           or a timeout as long as the body may take)
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error).
// The actor never blocks while waiting: it is built on the delay's requests
// from actors (delay.hpp). T must be a type CAF accepts in messages (see
// ref_actor.hpp).
//
// This header includes CAF; delay.hpp does not.

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/delay.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace dref {

using delay_get_atom = caf::atom_constant<caf::atom("dget")>;

template <class T>
using delay_actor = caf::typed_actor<typename caf::replies_to<delay_get_atom>::template with<T>>;

namespace detail {

template <class T, class Codec>
typename delay_actor<T>::behavior_type delay_actor_behavior(typename delay_actor<T>::pointer self,
                                                            delay<T, Codec> d) {
  return {
      [self, d](delay_get_atom) {
        auto answer = self->template make_response_promise<T>();
        deliver_to(d.get(self), answer);
        return answer;
      },
  };
}

} // namespace detail

// The actor serving d. It stops with the actor system or when sent an exit
// message.
template <class T, class Codec>
delay_actor<T> spawn_delay_actor(caf::actor_system& sys, delay<T, Codec> d) {
  return sys.spawn(detail::delay_actor_behavior<T, Codec>, std::move(d));
}

} // namespace dref
