// The relay behind an inbox, and the pull loop that drains it in the
// owning actor's context (see inbox.hpp).
#include "inbox.hpp"

#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/requests/request_from.hpp"
#include "watch_handle.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <vector>

namespace dref::detail {

struct inbox_post {
  std::function<void()> run;
};
struct inbox_batch {
  std::vector<std::function<void()>> runs;
};

} // namespace dref::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::detail::inbox_post)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::detail::inbox_batch)

namespace dref::detail {
namespace {

using post_atom = caf::atom_constant<caf::atom("ipost")>;
using pull_atom = caf::atom_constant<caf::atom("ipull")>;

struct relay_state {
  std::function<void(const protocol::store_event&)> on_event;
  inbox_batch queued;
  caf::response_promise puller; // valid while a pull waits
  static inline const char* name = "dref.inbox";
};

using relay_actor = caf::stateful_actor<relay_state>;

void flush(relay_actor* self) {
  auto& st = self->state;
  if (!st.puller.pending() || st.queued.runs.empty())
    return;
  st.puller.deliver(std::move(st.queued));
  st.queued.runs.clear();
  st.puller = caf::response_promise{};
}

caf::behavior relay_behavior(relay_actor* self, caf::actor owner,
                             std::function<void(const protocol::store_event&)> on_event) {
  self->state.on_event = std::move(on_event);
  self->monitor(owner);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  // Answers a waiting pull, so that the owner's handler for it is not kept
  // for ever.
  self->set_exit_handler([self](caf::exit_msg& exit) {
    if (self->state.puller.pending())
      self->state.puller.deliver(caf::make_error(caf::sec::request_receiver_down));
    self->quit(exit.reason);
  });
  return {
      [self](const protocol::store_event& e) {
        if (self->state.on_event)
          self->state.queued.runs.push_back([f = self->state.on_event, e] { f(e); });
        flush(self);
      },
      [self](post_atom, inbox_post& post) {
        self->state.queued.runs.push_back(std::move(post.run));
        flush(self);
      },
      [self](pull_atom) {
        self->state.puller = self->make_response_promise();
        flush(self);
      },
  };
}

void pull(caf::scheduled_actor* self, caf::actor from) {
  request_from(
      self, from, caf::infinite, caf::make_message(pull_atom::value),
      [self, from](inbox_batch& batch) {
        for (auto& run : batch.runs)
          run();
        pull(self, from);
      },
      [](caf::error&) {}); // the relay stopped
}

} // namespace

inbox inbox::open(caf::scheduled_actor* self,
                  std::function<void(const protocol::store_event&)> on_event) {
  inbox out;
  out.handle_ = std::make_shared<watch_handle>();
  out.handle_->watcher = self->home_system().spawn(
      relay_behavior, caf::actor_cast<caf::actor>(self), out.handle_->gated(std::move(on_event)));
  pull(self, out.handle_->watcher);
  return out;
}

const caf::actor& inbox::relay() const {
  return handle_->watcher;
}

void inbox::post(std::function<void()> f) const {
  if (handle_)
    caf::anon_send(handle_->watcher, post_atom::value, inbox_post{std::move(f)});
}

void inbox::post_after(std::chrono::milliseconds delay, std::function<void()> f) const {
  if (handle_)
    caf::delayed_anon_send(handle_->watcher, delay, post_atom::value, inbox_post{std::move(f)});
}

} // namespace dref::detail
