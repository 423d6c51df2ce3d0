#include "watch_relay.hpp"

#include "delivered_events.hpp"
#include "dref/backends/seam/backend_actor.hpp"
#include "dref/backends/seam/catch_up.hpp"
#include "dref/backends/seam/old_values.hpp"
#include "dref/backends/seam/prefix_catch_up.hpp"
#include "dref/backends/seam/watch_key.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <memory>
#include <optional>
#include <vector>

namespace dref::backend {
namespace {

using protocol::store_event;
using protocol::store_read;
using protocol::store_read_reply;

// Topic messages read per request while catching up.
constexpr std::uint32_t topic_page_size = 256;

struct relay_state {
  watch_relay_options options;
  caf::actor member;                         // where the events come from now
  std::uint64_t epoch = 0;                   // of the member's connection (resume)
  std::optional<delivered_events> delivered; // set once the first watch started
  bool catching_up = false;                  // live events wait in `held` meanwhile
  std::vector<store_event> held;
  // Old values the member leaves out of its events (old_values.hpp).
  held_old_values old_values;
};

using relay_actor = caf::stateful_actor<relay_state>;

void deliver(relay_actor* self, const store_event& e) {
  // The end of a prefix catch-up (prefix_catch_up.hpp) is no change of its
  // own: it always goes.
  const auto& key = self->state.options.id;
  if ((is_prefix_key(key) && e.id == key) || self->state.delivered->admit(e))
    self->send(self->state.options.watcher, e);
}

void finish_catch_up(relay_actor* self, std::uint64_t epoch, std::vector<store_event> missed) {
  auto& st = self->state;
  if (epoch != st.epoch)
    return;
  for (const auto& e : missed)
    deliver(self, e);
  st.catching_up = false;
  auto held = std::move(st.held);
  st.held.clear();
  for (const auto& e : held)
    deliver(self, e);
}

void resume(relay_actor* self, caf::actor member, std::uint64_t epoch);

void retry_later(relay_actor* self, std::uint64_t epoch) {
  auto member = self->state.member;
  self->delayed_send(self, self->state.options.retry_pause, resume_atom::value, member, epoch);
}

// The topic's messages after the newest one the watcher had, page by page.
void read_topic_pages(relay_actor* self, std::uint64_t epoch, std::shared_ptr<id_state> state,
                      std::uint64_t from_seq, std::vector<store_event> missed) {
  auto& st = self->state;
  self->request(st.member, st.options.attempt_timeout, protocol::read_atom::value,
                store_read{protocol::read_kind::topic, st.options.id, from_seq, topic_page_size})
      .then(
          [=](store_read_reply& reply) mutable {
            if (epoch != self->state.epoch)
              return;
            if (reply.error && reply.error->code == errc::compacted && from_seq != 0) {
              // Retention dropped some of what the watcher missed: it gets what is left.
              return read_topic_pages(self, epoch, state, 0, std::move(missed));
            }
            const auto* page =
                reply.error ? nullptr : std::get_if<protocol::topic_page>(&reply.value);
            if (page == nullptr || page->messages.empty())
              return finish_catch_up(self, epoch, std::move(missed));
            id_state topic{state->id, state->topic_seen, {std::move(reply)}, 0};
            auto more = catch_up_events(topic);
            auto next =
                std::get<protocol::topic_page>(topic.replies.front().value).messages.back().seq + 1;
            missed.insert(missed.end(), more.begin(), more.end());
            read_topic_pages(self, epoch, state, next, std::move(missed));
          },
          [=](caf::error&) {
            if (epoch == self->state.epoch)
              retry_later(self, epoch);
          });
}

// The values under a watched prefix, read from the member now serving the
// watch.
void read_missed_prefix(relay_actor* self, std::uint64_t epoch) {
  auto send = [self, epoch](store_read request, std::function<void(store_read_reply)> answer) {
    if (epoch != self->state.epoch)
      return; // superseded: the gathering stops here
    self->request(self->state.member, self->state.options.attempt_timeout,
                  protocol::read_atom::value, std::move(request))
        .then([answer](store_read_reply& reply) { answer(std::move(reply)); },
              [answer](caf::error& err) {
                store_read_reply failed;
                failed.error = from_caf_error(err);
                answer(std::move(failed));
              });
  };
  read_prefix_catch_up(send, self->state.options.id,
                       [self, epoch](result<std::vector<store_event>> missed) {
                         if (epoch != self->state.epoch)
                           return;
                         if (!missed)
                           return retry_later(self, epoch);
                         finish_catch_up(self, epoch, std::move(*missed));
                       });
}

// Every kind the id could name, read from the member now serving the watch.
void read_missed(relay_actor* self, std::uint64_t epoch) {
  auto& st = self->state;
  if (is_prefix_key(st.options.id))
    return read_missed_prefix(self, epoch);
  auto state = std::make_shared<id_state>();
  state->id = st.options.id;
  state->topic_seen = st.delivered->topic_seen();
  // The topic is read page by page below; its kind gives no reply here.
  state->left = std::size(catch_up_kinds) - 1;
  state->replies.resize(state->left);
  std::size_t slot = 0;
  for (auto kind : catch_up_kinds) {
    if (kind == protocol::read_kind::topic)
      continue;
    self->request(st.member, st.options.attempt_timeout, protocol::read_atom::value,
                  store_read{kind, st.options.id, 0, 0})
        .then(
            [=](store_read_reply& reply) {
              if (epoch != self->state.epoch || state->left == 0)
                return; // superseded, or failed already
              state->replies[slot] = std::move(reply);
              if (--state->left > 0)
                return;
              auto from = state->topic_seen ? *state->topic_seen + 1 : 0;
              if (!state->topic_seen) // nothing known of the topic: nothing to read
                return finish_catch_up(self, epoch, catch_up_events(*state));
              read_topic_pages(self, epoch, state, from, catch_up_events(*state));
            },
            [=](caf::error&) {
              if (epoch == self->state.epoch && state->left > 0) {
                state->left = 0; // the other answers are ignored
                retry_later(self, epoch);
              }
            });
    ++slot;
  }
}

// Where the member's history no longer reaches (or it keeps none): watch
// there and read what the watcher missed.
void watch_and_read_missed(relay_actor* self, std::uint64_t epoch) {
  auto& st = self->state;
  self->request(st.member, st.options.attempt_timeout, protocol::watch_atom::value, st.options.id,
                caf::actor{self})
      .then([=](std::uint64_t) { read_missed(self, epoch); },
            [=](caf::error&) {
              if (epoch == self->state.epoch)
                retry_later(self, epoch);
            });
}

void resume(relay_actor* self, caf::actor member, std::uint64_t epoch) {
  auto& st = self->state;
  if (epoch < st.epoch || !st.delivered)
    return;                             // superseded, or the first watch has not started yet
  if (st.member && st.member != member) // should the old one come back
    self->send(st.member, protocol::unwatch_atom::value, st.options.id, caf::actor{self});
  st.member = std::move(member);
  st.epoch = epoch;
  st.catching_up = true;
  // First from the member's recent history (raft node: event_history.hpp):
  // the events after the newest one delivered, sent before this answer.
  self->request(st.member, st.options.attempt_timeout, protocol::watch_atom::value, st.options.id,
                caf::actor{self}, st.delivered->revision())
      .then([=](std::uint64_t) { finish_catch_up(self, epoch, {}); },
            [=](caf::error& err) {
              if (epoch != self->state.epoch)
                return;
              if (err.category() == caf_error_category &&
                  static_cast<errc>(err.code()) == errc::compacted)
                return watch_and_read_missed(self, epoch);
              retry_later(self, epoch);
            });
}

// The first watch. Right before it, the topic's next seq is read from the
// member's own state (a local read, answered at once and in order with the
// watch, so at or before the watch's start), so that a failover before the
// watcher's first message still knows where to resume
// (delivered_events::learn_topic_start). The watch is not held back for the
// read: ref_actor.hpp promises a watch in place before any later request is
// answered. A linearizable read would not do: it may see messages published
// after the watch started whose events are still on their way (a client
// port sends answers and events by different ways), and count them as
// delivered when they were not.
void first_watch(relay_actor* self, caf::actor member,
                 caf::typed_response_promise<std::uint64_t> promise) {
  auto& st = self->state;
  st.member = member;
  // The topic's next seq, once read: whichever of the two answers comes
  // second learns it.
  auto topic_next = std::make_shared<std::optional<std::uint64_t>>();
  auto learn = [self, topic_next] {
    if (*topic_next && self->state.delivered)
      self->state.delivered->learn_topic_start(**topic_next);
  };
  if (!is_prefix_key(st.options.id)) { // a prefix names no topic
    self->request(member, st.options.attempt_timeout, protocol::read_atom::value,
                  protocol::local_atom::value,
                  store_read{protocol::read_kind::topic, st.options.id, 0, 0})
        .then(
            [topic_next, learn](store_read_reply& reply) {
              if (const auto* page =
                      reply.error ? nullptr : std::get_if<protocol::topic_page>(&reply.value))
                *topic_next = page->next_seq;
              learn();
            },
            [](caf::error&) {}); // no position learnt: topic_seen() stays unknown
  }
  self->request(member, st.options.attempt_timeout, protocol::watch_atom::value, st.options.id,
                caf::actor{self})
      .then(
          [self, promise, learn](std::uint64_t start) mutable {
            if (!self->state.delivered) {
              self->state.delivered.emplace(start);
              learn();
            }
            promise.deliver(start);
          },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
}

caf::behavior relay(relay_actor* self, watch_relay_options options) {
  self->state.options = std::move(options);
  self->monitor(self->state.options.watcher);
  self->set_down_handler([self](const caf::down_msg& down) {
    if (down.source == self->state.options.watcher.address())
      self->quit();
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    if (self->state.member)
      self->send(self->state.member, protocol::unwatch_atom::value, self->state.options.id,
                 caf::actor{self});
    self->quit(msg.reason);
  });
  return {
      [self](protocol::watch_atom, caf::actor member) -> caf::result<std::uint64_t> {
        auto promise = self->make_response_promise<std::uint64_t>();
        first_watch(self, std::move(member), promise);
        return promise;
      },
      [self](resume_atom, caf::actor member, std::uint64_t epoch) {
        resume(self, std::move(member), epoch);
      },
      [self](store_event& e) {
        auto& st = self->state;
        if (caf::actor_cast<caf::actor_addr>(self->current_sender()) != st.member.address())
          return;                 // a stale member's
        st.old_values.restore(e); // every event the member sent, in its order
        if (!st.delivered)
          return; // before the watch was answered
        if (e.kind == protocol::event_kind::value_written && !e.old_value) {
          // Every write leaves the store with its old value: this one was
          // thinned for a value we do not hold (the member counted events we
          // never saw, e.g. of a watch it served before we left it). Watch
          // again here: the member then starts over (old_values.hpp) and
          // replays it whole, or the catch-up covers it.
          if (!st.catching_up)
            resume(self, st.member, st.epoch);
          return;
        }
        if (st.catching_up)
          st.held.push_back(std::move(e));
        else
          deliver(self, e);
      },
  };
}

} // namespace

caf::actor spawn_watch_relay(caf::actor_system& sys, watch_relay_options options) {
  return sys.spawn(relay, std::move(options));
}

} // namespace dref::backend
