#pragma once
// A request from an actor known only as a scheduled_actor (the actor types
// of dref's users): the steps of CAF's request(...).then(...) spelled out.

#include <caf/behavior.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <chrono>

namespace dref::detail {

// Sends msg to dest as a request of self and calls the matching handler of
// `answers` (or on_error with a CAF error, e.g. the timeout) in self's
// context.
template <class... Handlers>
void request_from(caf::scheduled_actor* self, const caf::actor& dest, std::chrono::milliseconds timeout,
                  caf::message msg, Handlers... answers) {
  auto request_id = self->new_request_id(caf::message_priority::normal);
  dest->enqueue(caf::make_mailbox_element(self->ctrl(), request_id, {}, std::move(msg)),
                self->context());
  self->request_response_timeout(caf::duration{timeout}, request_id);
  self->add_multiplexed_response_handler(request_id.response_id(),
                                         caf::behavior{std::move(answers)...});
}

} // namespace dref::detail
