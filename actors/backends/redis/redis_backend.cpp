#include "dref/backends/redis/redis_backend.hpp"

#include "dref/backends/seam/catch_up.hpp"
#include "dref/backends/seam/prefix_catch_up.hpp"
#include "dref/backends/seam/watchers.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/refusals.hpp"
#include "redis/backend_state.hpp"
#include "redis/client.hpp"
#include "redis/named_runs.hpp"
#include "redis/script.hpp"
#include "redis/store_replies.hpp"
#include "redis/store_script.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace dref::backend {
namespace redis_impl {

namespace {

// Both connections of a backend: connect within 1 s, back off up to 1 s.
redis::client::options client_options(const redis_options& options) {
  return {options.host, options.port, std::chrono::milliseconds{1000},
          std::chrono::milliseconds{1000}, options.security};
}

// A client callback (run on the client's I/O thread) that hands the answer
// to on_answer in the actor.
redis::client::callback in_actor(redis_actor* self, on_answer_fn on_answer) {
  auto handle = caf::actor_cast<caf::actor>(self);
  return [handle, on_answer = std::move(on_answer)](result<redis::reply> got) {
    caf::anon_send(handle, redis_post{[on_answer, got = std::move(got)](redis_actor* actor) {
                     on_answer(actor, got);
                   }});
  };
}

} // namespace

clock_type::time_point now(redis_actor* self) {
  return self->clock().now();
}

void post_later(redis_actor* self, std::function<void(redis_actor*)> run) {
  self->delayed_send(self, retry_pause, redis_post{std::move(run)});
}

void submit(redis_actor* self, redis::client& c, std::vector<std::string> argv, call_kind kind,
            on_answer_fn on_answer) {
  auto done = in_actor(self, std::move(on_answer));
  if (kind == call_kind::plain)
    c.submit(std::move(argv), std::move(done));
  else
    self->state.store->run(redis::script_keys(self->state.keys), std::move(argv), std::move(done),
                           kind == call_kind::store_read);
}

bool worth_retrying(const result<redis::reply>& got, bool repeat_safe) {
  if (!got)
    return got.error().code == errc::unavailable ||
           (repeat_safe && got.error().code == errc::timeout);
  return got->is_error() && got->text.starts_with("LOADING");
}

bool repeat_safe(const protocol::store_proposal& proposal) {
  return proposal.client_id != 0 ||
         std::holds_alternative<protocol::cmd_expire_due>(proposal.command);
}

void run_read(redis_actor* self, protocol::store_read request, read_done done,
              clock_type::time_point give_up) {
  submit(self, *self->state.commands, redis::read_args(self->state.keys, request),
         call_kind::store_read,
         [request, done, give_up](redis_actor* actor, result<redis::reply> got) {
           if (worth_retrying(got, true) && now(actor) < give_up)
             return post_later(
                 actor, [=](redis_actor* later) { run_read(later, request, done, give_up); });
           done(actor, redis::read_reply(got, request));
         });
}

void run_proposal(redis_actor* self, protocol::store_proposal proposal, reply_promise promise,
                  clock_type::time_point give_up) {
  if (run_computed(self, proposal, promise, give_up))
    return;
  auto args = redis::proposal_args(self->state.keys, proposal);
  submit(self, *self->state.commands, std::move(args), call_kind::store_command,
         [proposal, promise, give_up](redis_actor* actor, result<redis::reply> got) mutable {
           if (worth_retrying(got, repeat_safe(proposal)) && now(actor) < give_up)
             return post_later(actor, [=](redis_actor* later) {
               run_proposal(later, proposal, promise, give_up);
             });
           promise.deliver(redis::command_reply(got, proposal.command));
         });
}

} // namespace redis_impl

namespace {

using namespace redis_impl;

constexpr std::chrono::milliseconds events_block{1000};
// An event holds up to two values (old and new): keep a batch's reply small.
constexpr std::size_t events_per_read = 128;

// --- change events ----------------------------------------------------------

// Puts in place the watches whose starting point the reader has reached.
void activate_watches(redis_actor* self) {
  auto& st = self->state;
  if (!st.cursor_known || st.pending_watches.empty())
    return;
  std::erase_if(st.pending_watches, [&](redis_state::pending_watch& w) {
    if (!w.after || *w.after > st.cursor_position)
      return false;
    st.watchers.add(w.id, w.watcher);
    w.promise.deliver(w.start);
    return true;
  });
}

redis_state::pending_watch* pending(redis_actor* self, std::uint64_t ticket) {
  for (auto& w : self->state.pending_watches)
    if (w.ticket == ticket)
      return &w;
  return nullptr; // unwatched, or its watcher is gone
}

// The newest event in the stream (none: the stream is empty) and the
// store's revision (its version counter) at that moment, read together by
// one script so that no write falls between them; asked on the commands
// connection, and again after a pause while there is no answer and the
// asker still wants one.
using newest_done =
    std::function<void(redis_actor*, std::optional<redis::stream_event>, std::uint64_t revision)>;
using still_wanted = std::function<bool(redis_actor*)>;

const redis::script& newest_event_script() {
  static const redis::script s{"dref_newest_event",
                               "return {redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1),"
                               " redis.call('GET', KEYS[2]) or '0'}"};
  return s;
}

void ask_newest_event(redis_actor* self, still_wanted wanted, newest_done done) {
  auto& st = self->state;
  auto on_answer = [wanted, done](redis_actor* actor, result<redis::reply> got) {
    if (!wanted(actor))
      return;
    result<std::vector<redis::stream_event>> newest = error{errc::unavailable, "no answer"};
    std::uint64_t revision = 0;
    if (got && got->type == redis::reply::kind::array && got->elements.size() == 2) {
      newest = redis::range_events(got->elements[0]);
      if (auto counter = redis::parse_decimal(got->elements[1].text))
        revision = *counter;
      else
        newest = error{errc::internal, "the revision counter is not a number"};
    }
    if (!newest)
      return post_later(actor, [wanted, done](redis_actor* later) {
        if (wanted(later))
          ask_newest_event(later, wanted, done);
      });
    std::optional<redis::stream_event> out;
    if (!newest->empty())
      out = std::move(newest->front());
    done(actor, std::move(out), revision);
  };
  redis::run(*st.commands, newest_event_script(),
             {st.keys.prefix + "events", st.keys.prefix + "index"}, {},
             in_actor(self, std::move(on_answer)));
}

void start_watch(redis_actor* self, std::uint64_t ticket) {
  ask_newest_event(
      self, [ticket](redis_actor* actor) { return pending(actor, ticket) != nullptr; },
      [ticket](redis_actor* actor, std::optional<redis::stream_event> newest,
               std::uint64_t revision) {
        auto* watch = pending(actor, ticket);
        watch->after = newest ? newest->position : redis::stream_id{};
        watch->start = revision;
        activate_watches(actor);
      });
}

void read_events(redis_actor* self);
void deliver_events(redis_actor* self, std::vector<redis::stream_event> batch, std::size_t from);

// Events were lost between the last one read and the next (the reader was
// away for longer than Redis keeps them): every watched id gets the state
// it missed, then the reader goes on with the batch. Reads of every kind,
// since an id names a value, lock, topic, promise or delay alike; a topic's
// messages only for topics whose newest message the watchers had (the
// others have no point to resume from).
// A watched prefix's catch-up (prefix_catch_up.hpp), read again until it
// is whole.
void read_prefix(redis_actor* self, std::string key,
                 std::function<void(redis_actor*, std::vector<protocol::store_event>)> done) {
  auto give_up = now(self) + self->state.options.retry_for;
  auto send = [self, give_up](protocol::store_read request,
                              std::function<void(protocol::store_read_reply)> answer) {
    run_read(
        self, std::move(request),
        [answer](redis_actor*, protocol::store_read_reply reply) { answer(std::move(reply)); },
        give_up);
  };
  backend::read_prefix_catch_up(
      send, key, [self, key, done](result<std::vector<protocol::store_event>> events) {
        if (events)
          return done(self, std::move(*events));
        post_later(self, [key, done](redis_actor* later) { read_prefix(later, key, done); });
      });
}

void catch_up(redis_actor* self, std::vector<redis::stream_event> batch, std::size_t from) {
  auto& st = self->state;
  auto ids = st.watchers.ids();
  auto prefixes = st.watchers.prefix_keys();
  struct progress {
    std::size_t ids_left = 0;
    std::vector<protocol::store_event> events;
    std::vector<std::pair<std::string, std::vector<protocol::store_event>>> by_prefix;
  };
  auto shared = std::make_shared<progress>();
  auto rest = std::make_shared<std::vector<redis::stream_event>>(std::move(batch));
  shared->ids_left = ids.size() + prefixes.size();
  if (shared->ids_left == 0)
    return deliver_events(self, std::move(*rest), from);
  auto finish = [shared, rest, from](redis_actor* actor) {
    for (const auto& e : shared->events)
      if (e.kind == protocol::event_kind::topic_published)
        actor->state.topic_seen[e.id] = e.number;
    actor->state.watchers.notify(actor, shared->events);
    for (const auto& [key, events] : shared->by_prefix)
      actor->state.watchers.notify_key(actor, key, events);
    deliver_events(actor, std::move(*rest), from);
  };
  for (const auto& key : prefixes)
    read_prefix(
        self, key,
        [shared, key, finish](redis_actor* actor, std::vector<protocol::store_event> events) {
          shared->by_prefix.emplace_back(key, std::move(events));
          if (--shared->ids_left == 0)
            finish(actor);
        });
  auto give_up = now(self) + st.options.retry_for;
  auto retained = st.keys.limits.topic_max_messages;
  for (const auto& id : ids) {
    auto state = std::make_shared<id_state>();
    state->id = id;
    if (auto it = st.topic_seen.find(id); it != st.topic_seen.end())
      state->topic_seen = it->second;
    state->replies.resize(std::size(catch_up_kinds));
    state->left = std::size(catch_up_kinds);
    auto finished_one = [shared, state, finish](redis_actor* actor) {
      if (--state->left > 0)
        return;
      auto more = catch_up_events(*state);
      std::move(more.begin(), more.end(), std::back_inserter(shared->events));
      if (--shared->ids_left == 0)
        finish(actor);
    };
    for (std::size_t k = 0; k < std::size(catch_up_kinds); ++k) {
      protocol::store_read request{catch_up_kinds[k], id, 0, 0};
      if (request.kind == protocol::read_kind::topic) {
        request.from_seq = state->topic_seen ? *state->topic_seen + 1 : 0;
        request.max_messages = retained; // all there is
      }
      run_read(
          self, request,
          [state, k, request, finished_one, give_up](redis_actor* actor,
                                                     protocol::store_read_reply reply) {
            bool compacted = reply.error && reply.error->code == errc::compacted;
            if (!compacted) {
              state->replies[k] = std::move(reply);
              return finished_one(actor);
            }
            // Retention dropped some of what was missed: all that is left.
            auto oldest = request;
            oldest.from_seq = 0;
            run_read(
                actor, oldest,
                [state, k, finished_one](redis_actor* later, protocol::store_read_reply again) {
                  state->replies[k] = std::move(again);
                  finished_one(later);
                },
                give_up);
          },
          give_up);
    }
  }
}

void deliver_events(redis_actor* self, std::vector<redis::stream_event> batch, std::size_t from) {
  auto& st = self->state;
  std::vector<protocol::store_event> one(1);
  for (std::size_t i = from; i < batch.size(); ++i) {
    auto& e = batch[i];
    activate_watches(self); // before the event: it came after their start
    if (st.last_number != 0 && e.number != st.last_number + 1) {
      st.last_number = e.number - 1; // what the catch-up stands in for
      return catch_up(self, std::move(batch), i);
    }
    st.last_number = e.number;
    st.cursor = std::move(e.entry_id);
    st.cursor_position = e.position;
    if (!e.usable)
      continue;
    if (e.event.kind == protocol::event_kind::topic_published && st.watchers.watched(e.event.id))
      st.topic_seen[e.event.id] = e.event.number;
    one[0] = std::move(e.event);
    st.watchers.notify(self, one);
  }
  activate_watches(self);
  read_events(self);
}

void on_events(redis_actor* self, const result<redis::reply>& got) {
  if (!got || got->is_error())
    return post_later(self, read_events); // the client reconnects by itself
  auto batch = redis::read_events(*got);
  if (!batch)
    return post_later(self, read_events);
  deliver_events(self, std::move(*batch), 0);
}

void read_events(redis_actor* self) {
  auto& st = self->state;
  submit(self, *st.events,
         {"XREAD", "COUNT", std::to_string(events_per_read), "BLOCK",
          std::to_string(events_block.count()), "STREAMS", st.keys.prefix + "events", st.cursor},
         call_kind::plain, on_events);
}

// The reader starts after the newest event there is. Asked on the commands
// connection, ahead of every watch's own question: a watch never starts
// before the reader (the events connection may connect much later).
void find_cursor(redis_actor* self) {
  ask_newest_event(
      self, [](redis_actor*) { return true; },
      [](redis_actor* actor, std::optional<redis::stream_event> newest, std::uint64_t) {
        auto& st = actor->state;
        st.cursor = newest ? newest->entry_id : "0-0";
        st.cursor_position = newest ? newest->position : redis::stream_id{};
        st.last_number = newest ? newest->number : 0;
        st.cursor_known = true;
        activate_watches(actor);
        read_events(actor);
      });
}

caf::behavior redis_backend(redis_actor* self, redis_options options,
                            std::unique_ptr<redis::client> commands) {
  auto& init = self->state;
  init.options = options;
  if (!init.options.commands)
    init.options.commands = store::builtin_commands();
  init.keys = redis::store_keys{options.prefix, options.events_maxlen, options.limits};
  init.commands = std::move(commands);
  init.store = std::make_unique<redis::function_caller>(redis::store_caller(*init.commands));
  init.events = std::make_unique<redis::client>(client_options(options));
  self->set_down_handler([self](const caf::down_msg& down) {
    self->state.watchers.drop(down.source);
    std::erase_if(self->state.pending_watches, [&](const redis_state::pending_watch& w) {
      return w.watcher.address() == down.source;
    });
  });
  find_cursor(self);
  self->send(self, tick_atom::value);
  return seam_and_own(
      {
          [self](propose_atom, protocol::store_proposal& proposal) {
            auto promise = self->make_response_promise<protocol::store_reply>();
            if (auto ok = store::refuse_internal(proposal.command); !ok) {
              promise.deliver(store::refusal_reply(std::move(ok).error()));
              return promise;
            }
            if (auto ok = store::check_input(proposal.command, self->state.keys.limits); !ok) {
              promise.deliver(store::refusal_reply(std::move(ok).error()));
              return promise;
            }
            run_proposal(self, std::move(proposal), promise,
                         now(self) + self->state.options.retry_for);
            return promise;
          },
          [self](read_atom, protocol::store_read& request) {
            auto promise = self->make_response_promise<protocol::store_read_reply>();
            if (auto ok = store::check_read(request, self->state.keys.limits); !ok) {
              protocol::store_read_reply reply;
              reply.error = std::move(ok).error();
              promise.deliver(std::move(reply));
              return promise;
            }
            if (request.kind == protocol::read_kind::query) { // run here (redis/named_runs.hpp)
              run_read(
                  self, redis::value_read(request.id),
                  [promise, request](redis_actor* actor, protocol::store_read_reply read) mutable {
                    promise.deliver(
                        redis::query_reply(*actor->state.options.commands, request, read));
                  },
                  now(self) + self->state.options.retry_for);
              return promise;
            }
            run_read(
                self, std::move(request),
                [promise](redis_actor*, protocol::store_read_reply reply) mutable {
                  promise.deliver(std::move(reply));
                },
                now(self) + self->state.options.retry_for);
            return promise;
          },
          [self](watch_atom, const std::string& id, const caf::actor& watcher) {
            self->monitor(watcher);
            auto promise = self->make_response_promise<std::uint64_t>();
            auto ticket = ++self->state.next_ticket;
            self->state.pending_watches.push_back({ticket, id, watcher, promise, std::nullopt});
            start_watch(self, ticket);
            return promise;
          },
          [self](unwatch_atom, const std::string& id, const caf::actor& watcher) {
            self->state.watchers.remove(id, watcher);
            std::erase_if(self->state.pending_watches, [&](redis_state::pending_watch& w) {
              if (w.id != id || w.watcher != watcher)
                return false;
              w.promise.deliver(std::uint64_t{0}); // moot: its requester let go of it
              return true;
            });
          },
      },
      [self](redis_post& post) { post.run(self); },
      [self](tick_atom) {
        auto& st = self->state;
        protocol::store_proposal expire{0, 0, 0, 0, protocol::cmd_expire_due{}};
        submit(self, *st.commands, redis::proposal_args(st.keys, expire), call_kind::store_command,
               [](redis_actor*, result<redis::reply>) {});
        self->delayed_send(self, st.options.expiry_interval, tick_atom::value);
      });
}

} // namespace

result<backend_actor> spawn_redis_backend(caf::actor_system& sys, redis_options options) {
  auto commands = std::make_unique<redis::client>(client_options(options));
  auto pong = commands->call({"PING"}, std::chrono::milliseconds{3000});
  if (!pong)
    return error{errc::unavailable,
                 "no Redis answers at " + commands->address() + ": " + pong.error().message};
  if (pong->is_error())
    return error{errc::unavailable,
                 "Redis at " + commands->address() + " refuses PING: " + pong->text +
                     (pong->text.starts_with("NOAUTH")
                          ? " (set redis.password or redis.password_file, and redis.username for "
                            "an ACL user)"
                          : "")};
  // Scheduled, not detached: see start_node in backends/raft/node_actor.cpp.
  // Moved out once the actor starts: the actor's state alone owns it.
  auto holder = std::make_shared<std::unique_ptr<redis::client>>(std::move(commands));
  return caf::actor_cast<backend_actor>(sys.spawn([options, holder](redis_actor* self) {
    return redis_backend(self, options, std::move(*holder));
  }));
}

} // namespace dref::backend
