#pragma once
// Requests from any scheduled actor (CAF 0.17 offers request() only to the
// actor types it knows; here the actor is only known as a scheduled_actor
// of dref's users): the steps of CAF's request(...).then(...) spelled out.

#include "dref/requests/request_deadlines.hpp"

#include <caf/actor_cast.hpp>
#include <caf/behavior.hpp>
#include <caf/duration.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>

namespace dref::detail {

// Sends msg to dest as a request of self and calls the matching handler of
// `answers` (or on_error with a CAF error, e.g. the timeout) in self's
// context. caf::infinite waits as long as dest lives (the inboxes' pulls),
// or until something else sends the response id returned here an error
// (request_deadlines.hpp).
template <class... Handlers>
caf::message_id request_from(caf::scheduled_actor* self, const caf::actor& dest,
                             caf::duration timeout, caf::message msg, Handlers... answers) {
  auto request_id = self->new_request_id(caf::message_priority::normal);
  dest->enqueue(caf::make_mailbox_element(self->ctrl(), request_id, {}, std::move(msg)),
                self->context());
  if (timeout.valid())
    self->request_response_timeout(timeout, request_id);
  self->add_multiplexed_response_handler(request_id.response_id(),
                                         caf::behavior{std::move(answers)...});
  return request_id.response_id();
}

template <class... Handlers>
caf::message_id request_from(caf::scheduled_actor* self, const caf::actor& dest,
                             std::chrono::milliseconds timeout, caf::message msg,
                             Handlers... answers) {
  return request_from(self, dest, caf::duration{timeout}, std::move(msg), std::move(answers)...);
}

// The answer to a request that needed no message, because it was answered
// in this thread (the memory backend's store behind its lock): `reply`
// arrives in self's mailbox as the response to a request of self, so the
// matching handler runs in self's context after the current handler, as
// it would for a request, never inside the caller, whose code may go on
// after asking (and may ask again from the handler without recursing).
// Self is running, so this wakes nobody.
template <class... Handlers>
void answer_self(caf::scheduled_actor* self, caf::message reply, Handlers... answers) {
  auto response_id = self->new_request_id(caf::message_priority::normal).response_id();
  self->add_multiplexed_response_handler(response_id, caf::behavior{std::move(answers)...});
  self->enqueue(caf::make_mailbox_element(self->ctrl(), response_id, {}, std::move(reply)),
                self->context());
}

// The same to a typed actor, whose interface the message is not checked
// against here: only for messages built for it (caf::make_message of its
// own signatures).
template <class... Sigs, class... Handlers>
caf::message_id request_from(caf::scheduled_actor* self, const caf::typed_actor<Sigs...>& dest,
                             caf::duration timeout, caf::message msg, Handlers... answers) {
  return request_from(self, caf::actor_cast<caf::actor>(dest), timeout, std::move(msg),
                      std::move(answers)...);
}

// request_from with its timeout kept by `deadlines` (request_deadlines.hpp)
// rather than on CAF's clock: each handler first marks the request answered.
template <class Reply, class Dest, class OnReply, class OnError>
caf::message_id request_timed(request_deadlines& deadlines, caf::scheduled_actor* self,
                              const Dest& dest, std::chrono::milliseconds timeout, caf::message msg,
                              OnReply on_reply, OnError on_error) {
  auto flag = request_deadlines::new_flag();
  auto response_id = request_from(
      self, dest, caf::infinite, std::move(msg),
      [flag, f = std::move(on_reply)](Reply& reply) mutable {
        request_deadlines::answered(flag);
        f(reply);
      },
      [flag, f = std::move(on_error)](caf::error& err) mutable {
        request_deadlines::answered(flag);
        f(err);
      });
  deadlines.add(self, response_id, timeout, std::move(flag));
  return response_id;
}

} // namespace dref::detail
