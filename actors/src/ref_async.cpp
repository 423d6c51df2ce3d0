// Requests from actors: the requesting actor sends to the backend (reads,
// sets) or to the context's ref actor for the id (updates) and registers a
// one-shot response handler, the way CAF's own request(...).then(...) does
// for the actor types it knows; here the actor is only known as a
// scheduled_actor, so the steps are spelled out.
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>
#include <deque>

#include "backend/messages.hpp"
#include "context_impl.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "value_cache.hpp"

namespace dref::detail {

// What travels between a requesting actor and a ref actor (in-process only).
struct update_request {
  byte_update attempt;
};
struct update_reply {
  std::optional<error> failure;
  byte_update_outcome outcome;
};

} // namespace dref::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::detail::update_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::detail::update_reply)

namespace dref::detail {

using namespace protocol;

namespace {

using update_atom = caf::atom_constant<caf::atom("update")>;

error shut_down() { return error{errc::shutting_down, "the context was shut down"}; }

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

// --- the ref actor -----------------------------------------------------------

struct pending_update {
  byte_update attempt;
  caf::response_promise promise;
  int attempts = 0;
};

struct ref_actor_state {
  std::weak_ptr<context_impl> ctx;
  std::string id;
  std::deque<pending_update> queue; // front: the update under way
  static inline const char* name = "dref.ref";
};

using ref_actor_type = caf::stateful_actor<ref_actor_state>;

void run_front(ref_actor_type* self);

void finish_front(ref_actor_type* self, update_reply reply) {
  auto& job = self->state.queue.front();
  job.promise.deliver(std::move(reply));
  self->state.queue.pop_front();
  if (!self->state.queue.empty())
    run_front(self);
}

void fail_front(ref_actor_type* self, error e) { finish_front(self, update_reply{std::move(e), {}}); }

void write_front(ref_actor_type* self, std::shared_ptr<context_impl> ctx, value_state current,
                 std::string next) {
  auto [sequence, acked] = ctx->start_sequence();
  store_proposal proposal{ctx->client_id, sequence, acked, 0,
                          cmd_cas{self->state.id, current.version, next}};
  std::weak_ptr<context_impl> weak = ctx;
  self->request(ctx->backend->actor, ctx->options.request_timeout, backend::propose_atom::value,
                std::move(proposal))
    .then(
      [self, weak, sequence, current, next](store_reply& reply) mutable {
        auto owner = weak.lock();
        if (owner)
          owner->finish_sequence(sequence);
        if (!reply.error) {
          auto version = std::get<res_written>(reply.value).version;
          if (owner)
            owner->cache_for(self->state.id)->offer(version, next);
          return finish_front(self, update_reply{std::nullopt, {std::move(current.value), std::move(next), version}});
        }
        auto& job = self->state.queue.front();
        int limit = owner ? owner->options.max_update_attempts : 0;
        if (reply.error->code == errc::version_conflict && ++job.attempts < limit)
          return run_front(self); // another node wrote first: read again
        if (reply.error->code == errc::version_conflict)
          return fail_front(self, error{errc::retries_exhausted,
                                        "ref '" + self->state.id + "': " + std::to_string(limit)
                                          + " attempts lost to concurrent writers"});
        fail_front(self, std::move(*reply.error));
      },
      [self, weak, sequence](caf::error& err) {
        if (auto owner = weak.lock())
          owner->finish_sequence(sequence);
        fail_front(self, from_caf_error(err));
      });
}

void run_front(ref_actor_type* self) {
  auto ctx = self->state.ctx.lock();
  if (!ctx || ctx->stopped)
    return fail_front(self, shut_down());
  self->request(ctx->backend->actor, ctx->options.request_timeout, backend::read_atom::value,
                store_read{read_kind::value, self->state.id, 0, 0})
    .then(
      [self](store_read_reply& reply) {
        if (reply.error)
          return fail_front(self, std::move(*reply.error));
        auto current = std::get<value_state>(std::move(reply.value));
        result<std::optional<std::string>> next = error{errc::internal, "not run"};
        try {
          next = self->state.queue.front().attempt(current.value);
        } catch (const std::exception& e) {
          next = error{errc::internal, "ref '" + self->state.id + "': the update function threw: " + e.what()};
        }
        if (!next)
          return fail_front(self, std::move(next).error());
        if (!*next) // nothing to write
          return finish_front(self, update_reply{std::nullopt, {current.value, current.value, current.version}});
        auto owner = self->state.ctx.lock();
        if (!owner || owner->stopped)
          return fail_front(self, shut_down());
        write_front(self, std::move(owner), std::move(current), std::move(**next));
      },
      [self](caf::error& err) { fail_front(self, from_caf_error(err)); });
}

caf::behavior ref_actor(ref_actor_type* self, std::weak_ptr<context_impl> ctx, std::string id) {
  self->state.ctx = std::move(ctx);
  self->state.id = std::move(id);
  return {
    [self](update_atom, update_request& request) {
      auto promise = self->make_response_promise();
      self->state.queue.push_back(pending_update{std::move(request.attempt), promise, 0});
      if (self->state.queue.size() == 1)
        run_front(self);
      return promise;
    },
  };
}

} // namespace

caf::actor context_impl::ref_actor(const std::string& id) {
  std::lock_guard guard{ref_actors_mutex_};
  auto& slot = ref_actors_[id];
  if (!slot)
    slot = sys.spawn(detail::ref_actor, weak_from_this(), id);
  return slot;
}

// --- requests from actors ----------------------------------------------------

void ref_core::async_read(caf::scheduled_actor* self, timeout_ms timeout,
                          std::function<void(result<value_state>)> done) const {
  if (ctx_->stopped)
    return done(shut_down());
  request_from(
    self, ctx_->backend->actor, ctx_->timeout_or_default(timeout),
    caf::make_message(backend::read_atom::value, store_read{read_kind::value, id_, 0, 0}),
    [done](store_read_reply& reply) {
      if (reply.error)
        return done(std::move(*reply.error));
      done(std::get<value_state>(std::move(reply.value)));
    },
    [done](caf::error& err) { done(from_caf_error(err)); });
}

void ref_core::async_set(caf::scheduled_actor* self, std::string bytes, timeout_ms timeout,
                         std::function<void(result<std::uint64_t>)> done) const {
  if (ctx_->stopped)
    return done(shut_down());
  auto [sequence, acked] = ctx_->start_sequence();
  store_proposal proposal{ctx_->client_id, sequence, acked, 0, cmd_set{id_, bytes}};
  std::weak_ptr<context_impl> weak = ctx_;
  auto finished = [weak, sequence] {
    if (auto ctx = weak.lock())
      ctx->finish_sequence(sequence);
  };
  request_from(
    self, ctx_->backend->actor, ctx_->timeout_or_default(timeout),
    caf::make_message(backend::propose_atom::value, std::move(proposal)),
    [done, finished, cache = cache_, bytes](store_reply& reply) {
      finished();
      if (reply.error)
        return done(std::move(*reply.error));
      auto version = std::get<res_written>(reply.value).version;
      cache->offer(version, bytes);
      done(version);
    },
    [done, finished](caf::error& err) {
      finished();
      done(from_caf_error(err));
    });
}

void ref_core::async_update(caf::scheduled_actor* self, byte_update attempt, timeout_ms timeout,
                            std::function<void(result<byte_update_outcome>)> done) const {
  if (ctx_->stopped)
    return done(shut_down());
  request_from(
    self, ctx_->ref_actor(id_), ctx_->timeout_or_default(timeout),
    caf::make_message(update_atom::value, update_request{std::move(attempt)}),
    [done](update_reply& reply) {
      if (reply.failure)
        return done(std::move(*reply.failure));
      done(std::move(reply.outcome));
    },
    [done](caf::error& err) { done(from_caf_error(err)); });
}

} // namespace dref::detail
