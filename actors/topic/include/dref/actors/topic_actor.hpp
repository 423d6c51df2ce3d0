#pragma once
// A topic as a typed CAF actor: spawn_topic_actor(sys, t) returns a
// dref::topic_actor<T> that any actor may request
//
//   (topic_publish_atom, T)                          -> uint64_t  the message's seq
//   (topic_subscribe_atom, caf::actor s)             -> void      s is subscribed
//   (topic_subscribe_from_atom, caf::actor s, uint64_t seq)
//                                                    -> void      s got the replay
//                                                                 from seq; live next
//   (topic_unsubscribe_atom, caf::actor s)           -> void
//
// A subscriber receives (topic_message_atom, uint64_t seq, T message) for
// every message from then on (subscribe: published after the answer's
// request reached the backend), in order and without gaps, until it
// unsubscribes or goes down. Subscribing again replaces the earlier
// subscription (the new one starts where it says).
//
// Failures arrive as caf::error in dref's category (dref::from_caf_error:
// compacted when seq is older than the topic retains, ...). The actor never
// blocks: it is built on the topic's requests from actors (topic.hpp). T
// must be a type CAF accepts in messages (see ref_actor.hpp).
//
// This header includes CAF; topic.hpp does not.

#include "dref/actors/detail/deliver_to.hpp"
#include "dref/topic.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/delegated.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <memory>

namespace dref {

using topic_publish_atom = caf::atom_constant<caf::atom("tpublish")>;
using topic_subscribe_atom = caf::atom_constant<caf::atom("tsub")>;
using topic_subscribe_from_atom = caf::atom_constant<caf::atom("tsubfrom")>;
using topic_unsubscribe_atom = caf::atom_constant<caf::atom("tunsub")>;
using topic_message_atom = caf::atom_constant<caf::atom("tmessage")>;

template <class T>
using topic_actor = caf::typed_actor<
    typename caf::replies_to<topic_publish_atom, T>::template with<std::uint64_t>,
    caf::replies_to<topic_subscribe_atom, caf::actor>::with<void>,
    caf::replies_to<topic_subscribe_from_atom, caf::actor, std::uint64_t>::with<void>,
    caf::replies_to<topic_unsubscribe_atom, caf::actor>::with<void>>;

namespace detail {

// Subscriptions by subscriber. A generation per subscriber tells a stale
// subscribe answer (replaced or unsubscribed meanwhile) from the current.
struct topic_subscribers {
  std::map<caf::actor_addr, std::pair<std::uint64_t, subscription>> active;
  std::uint64_t generation = 0;
};

template <class T, class Codec, class Self>
caf::delegated<void> serve_subscribe(Self* self, const topic<T, Codec>& t,
                                     const std::shared_ptr<topic_subscribers>& subs,
                                     const caf::actor& subscriber, std::uint64_t from_seq) {
  auto answer = self->make_response_promise();
  if (!subscriber) {
    answer.deliver(to_caf_error(
        error{errc::invalid_argument, "topic '" + t.id() + "': subscribe needs a subscriber"}));
    return {};
  }
  auto addr = subscriber.address();
  if (subs->active.count(addr) == 0)
    self->monitor(subscriber);
  auto generation = ++subs->generation;
  subs->active[addr] = {generation, subscription{}};
  t.subscribe_from(self, from_seq,
                   [subscriber](std::uint64_t seq, const T& message) {
                     caf::anon_send(subscriber, topic_message_atom::value, seq, message);
                   })
      .then(
          [subs, addr, generation, answer](subscription s) mutable {
            auto it = subs->active.find(addr);
            if (it != subs->active.end() && it->second.first == generation)
              it->second.second = std::move(s);
            answer.deliver(caf::unit); // else s ends here: it was replaced
          },
          [subs, addr, generation, answer](const error& e) mutable {
            auto it = subs->active.find(addr);
            if (it != subs->active.end() && it->second.first == generation)
              subs->active.erase(it);
            answer.deliver(to_caf_error(e));
          });
  return {};
}

template <class T, class Codec>
typename topic_actor<T>::behavior_type topic_actor_behavior(typename topic_actor<T>::pointer self,
                                                            topic<T, Codec> t) {
  auto subs = std::make_shared<topic_subscribers>();
  self->set_down_handler([subs](caf::down_msg& down) { subs->active.erase(down.source); });
  return {
      [self, t](topic_publish_atom, const T& message) {
        auto answer = self->template make_response_promise<std::uint64_t>();
        deliver_to(t.publish(self, message), answer);
        return answer;
      },
      [self, t, subs](topic_subscribe_atom, const caf::actor& subscriber) {
        return serve_subscribe(self, t, subs, subscriber, 0);
      },
      [self, t, subs](topic_subscribe_from_atom, const caf::actor& subscriber, std::uint64_t seq) {
        if (seq == 0) // 0 would mean "from now on"; the first message is 1
          seq = 1;
        return serve_subscribe(self, t, subs, subscriber, seq);
      },
      [subs](topic_unsubscribe_atom, const caf::actor& subscriber) {
        subs->active.erase(subscriber.address());
      },
  };
}

} // namespace detail

// The actor serving t. It stops with the actor system or when sent an exit
// message; its subscriptions end with it.
template <class T, class Codec>
topic_actor<T> spawn_topic_actor(caf::actor_system& sys, topic<T, Codec> t) {
  return sys.spawn(detail::topic_actor_behavior<T, Codec>, std::move(t));
}

} // namespace dref
