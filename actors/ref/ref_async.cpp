// Requests from actors: the requesting actor sends to the backend (reads,
// sets) or to the context's ref actor for the id (updates) and registers a
// one-shot response handler, the way CAF's own request(...).then(...) does
// for the actor types it knows; here the actor is only known as a
// scheduled_actor, so the steps are spelled out.
#include "context_impl.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/requests/request_from.hpp"
#include "store_answers.hpp"
#include "value_cache.hpp"

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>
#include <deque>

namespace dref::detail {

// What travels between a requesting actor and a ref actor (in-process only).
struct update_request {
  byte_update attempt;
  std::optional<protocol::write_fence> fence;
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

// --- the ref actor -----------------------------------------------------------
//
// Updates queue up while one compare-and-set is in flight; the next round
// runs every queued update function in order on the value, each on the
// previous one's result, and commits the last value with one cas: a batch
// costs one write however many updates it carries. The value this actor
// last wrote stands in for a read (the cas checks its version); a conflict
// means another node wrote, so the round reads and runs again. A round
// that writes nothing is never answered from that remembered value, only
// from a fresh read, so that every answer is linearizable.

struct pending_update {
  byte_update attempt;
  caf::response_promise promise;
  std::optional<write_fence> fence; // the round's cas carries it
  update_reply reply;               // of the current round
};

struct ref_actor_state {
  std::weak_ptr<context_impl> ctx;
  std::string id;
  std::shared_ptr<value_cache> cache; // told of every version this actor writes
  std::deque<pending_update> queue;
  bool busy = false;
  std::optional<value_state> known; // what this actor wrote last
  std::size_t batch_limit = SIZE_MAX;
  int attempts = 0;           // conflicts in a row
  bool starting_copy = false; // start_copy is under way
  static inline const char* name = "dref.ref";
};

using ref_actor_type = caf::stateful_actor<ref_actor_state>;

// How many queued updates the next round carries: one cas has one fence,
// so a round takes the first update and those after it under the same one.
std::size_t batch_size(const ref_actor_state& st) {
  std::size_t n = 0;
  while (n < st.queue.size() && n < st.batch_limit && st.queue[n].fence == st.queue.front().fence)
    ++n;
  return n;
}

void start_round(ref_actor_type* self);

void answer_batch(ref_actor_type* self, std::size_t n) {
  auto& st = self->state;
  for (std::size_t i = 0; i < n; ++i) {
    st.queue.front().promise.deliver(std::move(st.queue.front().reply));
    st.queue.pop_front();
  }
  st.busy = false;
  st.attempts = 0;
  st.batch_limit = SIZE_MAX;
  if (!st.queue.empty())
    start_round(self);
}

void fail_batch(ref_actor_type* self, std::size_t n, const error& e) {
  for (std::size_t i = 0; i < n; ++i)
    self->state.queue[i].reply = update_reply{e, {}};
  answer_batch(self, n);
}

// Runs the first n update functions on base; returns the final bytes, or
// nullopt when none of them writes.
std::optional<std::string> run_batch(ref_actor_type* self, std::size_t n, const value_state& base) {
  auto& st = self->state;
  std::string current = base.value;
  bool writes = false;
  for (std::size_t i = 0; i < n; ++i) {
    auto& job = st.queue[i];
    result<std::optional<std::string>> next = error{errc::internal, "not run"};
    try {
      next = job.attempt(current);
    } catch (const std::exception& e) {
      next = error{errc::internal, "ref '" + st.id + "': the update function threw: " + e.what()};
    }
    if (!next) {
      job.reply = update_reply{std::move(next).error(), {}};
      continue;
    }
    if (!*next) {
      job.reply = update_reply{std::nullopt, {current, current, base.version, false}};
      continue;
    }
    job.reply = update_reply{std::nullopt, {current, **next, 0, true}};
    current = std::move(**next);
    writes = true;
  }
  if (!writes)
    return std::nullopt;
  return current;
}

void commit_round(ref_actor_type* self, const value_state& base, bool fresh);

// A value at least this large, read by the ref actor, starts the
// context's copy of it (value_cache.hpp) as a blocking update does:
// watching first, then reading, so that no change in between is missed.
void start_copy(ref_actor_type* self, const std::shared_ptr<context_impl>& ctx) {
  auto& st = self->state;
  {
    std::lock_guard guard{st.cache->mutex};
    if (st.cache->live || st.starting_copy)
      return;
  }
  st.starting_copy = true;
  auto done = [self] { self->state.starting_copy = false; };
  ctx->async_watch_subscription(
      self, st.id, feed(st.cache), {}, [self, done](result<subscription> watching) {
        auto owner = self->state.ctx.lock();
        if (!watching || !owner || owner->stopped)
          return done();
        auto watch = std::make_shared<subscription>(std::move(*watching));
        owner->ask_backend(
            self, store_read{read_kind::value, self->state.id, 0, 0}, {},
            [self, done, watch](store_read_reply& reply) {
              done();
              if (reply.error)
                return; // no copy this time (the watch ends with `watch`)
              auto& cache = *self->state.cache;
              std::unique_lock filling{cache.fill_mutex, std::try_to_lock};
              if (!filling.owns_lock() || cache.watch.active())
                return; // another caller is starting it, or has: ours ends
              cache.watch = std::move(*watch);
              auto& read = std::get<value_state>(reply.value);
              cache.go_live(std::pair{read.version, std::move(read.value)});
            },
            [done](caf::error&) { done(); });
      });
}

// A round's base: the context's copy (value_cache.hpp) when it is current
// as far as this context knows and may_use_copy, else a read (which
// starts the copy when the value is large).
void read_and_commit(ref_actor_type* self, bool may_use_copy = true) {
  auto ctx = self->state.ctx.lock();
  if (!ctx || ctx->stopped)
    return fail_batch(self, batch_size(self->state), context_impl::shut_down_error());
  if (may_use_copy) {
    auto copy = current_copy(*self->state.cache, false);
    if (copy && copy->bytes)
      return commit_round(self, value_state{std::move(*copy->bytes), copy->version, {}, {}}, false);
  }
  ctx->ask_backend(
      self, store_read{read_kind::value, self->state.id, 0, 0}, {},
      [self](store_read_reply& reply) {
        if (reply.error)
          return fail_batch(self, batch_size(self->state), *reply.error);
        auto& base = std::get<value_state>(reply.value);
        if (base.value.size() >= ref_core::copy_min_size)
          if (auto owner = self->state.ctx.lock())
            start_copy(self, owner);
        commit_round(self, base, true);
      },
      [self](caf::error& err) { fail_batch(self, batch_size(self->state), from_caf_error(err)); });
}

void commit_round(ref_actor_type* self, const value_state& base, bool fresh) {
  auto& st = self->state;
  auto n = batch_size(st);
  auto next = run_batch(self, n, base);
  if (!next) {
    if (!fresh) // answers must come from a read, not from memory
      return read_and_commit(self, false);
    return answer_batch(self, n);
  }
  auto ctx = st.ctx.lock();
  if (!ctx || ctx->stopped)
    return fail_batch(self, n, context_impl::shut_down_error());
  const auto& fence = st.queue.front().fence;
  std::weak_ptr<context_impl> weak = ctx;
  ctx->ask_backend(
      self,
      guarded(write_at_version(st.id, base.version, &base.value, *next), fence ? &*fence : nullptr),
      {},
      [self, weak, n, written = *next, base_version = base.version](store_reply& reply) {
        auto owner = weak.lock();
        auto& state = self->state;
        if (!reply.error) {
          auto version = std::get<res_written>(reply.value).version;
          state.cache->raise_floor(version);
          state.known = value_state{written, version, {}, {}};
          for (std::size_t i = 0; i < n; ++i)
            state.queue[i].reply.outcome.version = version;
          return answer_batch(self, n);
        }
        state.known.reset();
        // decode_failed: the round's patch was made against a copy that
        // was not the value at its version; like a lost race, it starts
        // again from a read.
        if (reply.error->code == errc::version_conflict ||
            reply.error->code == errc::decode_failed) {
          state.cache->mark_stale(base_version);
          int limit = owner ? owner->options.max_update_attempts : 0;
          if (++state.attempts < limit)
            return read_and_commit(self); // another node wrote first
          return fail_batch(self, n, retries_exhausted(state.id, limit));
        }
        if (reply.error->code == errc::not_holder) // the round's one fence: all refused
          return fail_batch(self, n, *reply.error);
        if (n > 1) { // find whose value was refused: one at a time
          state.batch_limit = 1;
          return read_and_commit(self);
        }
        fail_batch(self, n, *reply.error);
      },
      [self, n](caf::error& err) {
        self->state.known.reset(); // the outcome is unknown
        fail_batch(self, n, from_caf_error(err));
      });
}

void start_round(ref_actor_type* self) {
  self->state.busy = true;
  if (self->state.known)
    commit_round(self, *self->state.known, false);
  else
    read_and_commit(self);
}

caf::behavior ref_actor(ref_actor_type* self, std::weak_ptr<context_impl> ctx, std::string id,
                        std::shared_ptr<value_cache> cache) {
  self->state.ctx = std::move(ctx);
  self->state.id = std::move(id);
  self->state.cache = std::move(cache);
  return {
      [self](update_atom, update_request& request) {
        auto promise = self->make_response_promise();
        self->state.queue.push_back(
            pending_update{std::move(request.attempt), promise, std::move(request.fence), {}});
        if (!self->state.busy)
          start_round(self);
        return promise;
      },
  };
}

} // namespace

caf::actor context_impl::ref_actor(const std::string& id) {
  std::lock_guard guard{ref_actors_.mutex};
  auto& slot = ref_actors_.by_id[id];
  if (!slot)
    slot = sys.spawn(detail::ref_actor, weak_from_this(), id, cache_for(id));
  return slot;
}

// --- requests from actors ----------------------------------------------------

void ref_core::async_read(caf::scheduled_actor* self, timeout_ms timeout,
                          std::function<void(result<value_state>)> done) const {
  ctx_->async_read(self, store_read{read_kind::value, id_, 0, 0}, timeout,
                   [done, id = id_](result<read_result> got) {
                     done(expect_read<value_state>(std::move(got), id));
                   });
}

void ref_core::async_set(caf::scheduled_actor* self, std::string bytes, timeout_ms timeout,
                         std::function<void(result<std::uint64_t>)> done,
                         std::optional<write_fence> fence) const {
  const write_fence* guard = fence ? &*fence : nullptr;
  if (auto ok = check_fence(guard); !ok)
    return done(ok.error());
  auto written = [done, cache = cache_](result<store_result> got) {
    if (!got)
      return done(std::move(got).error());
    auto version = std::get<res_written>(*got).version;
    cache->raise_floor(version);
    done(version);
  };
  auto set_whole = [self, ctx = ctx_, id = id_, timeout, fence, written](std::string whole) {
    ctx->async_propose(self, guarded(cmd_set{id, std::move(whole)}, fence ? &*fence : nullptr),
                       timeout, written);
  };
  // No wait in an actor: a copy that is behind means a whole set.
  auto patch = patch_from_copy(id_, *cache_, bytes, false);
  if (!patch)
    return set_whole(std::move(bytes));
  // As the blocking set (ref_core.cpp): a patch against the copy, and the
  // whole value when another write came first.
  auto base = patch->expected_version;
  ctx_->async_propose(self, guarded(std::move(*patch), guard), timeout,
                      [cache = cache_, base, set_whole, written,
                       bytes = std::move(bytes)](result<store_result> got) mutable {
                        if (!got && patch_refused(got.error())) {
                          cache->mark_stale(base);
                          return set_whole(std::move(bytes));
                        }
                        written(std::move(got));
                      });
}

namespace {

// A proposal's answer as the result type R it must be, then f(result<R>).
template <class R, class F>
auto answered_as(std::string id, F f) {
  return [id = std::move(id), f = std::move(f)](result<store_result> got) mutable {
    f(expect<R>(std::move(got), id));
  };
}

} // namespace

void ref_core::async_create(caf::scheduled_actor* self, std::string bytes, metadata_map metadata,
                            timeout_ms timeout,
                            std::function<void(result<res_created>)> done) const {
  ctx_->async_propose(
      self, cmd_create_if_absent{id_, std::move(bytes), std::move(metadata)}, timeout,
      answered_as<res_created>(id_, [done, cache = cache_](result<res_created> got) {
        if (got && got->created)
          cache->raise_floor(got->version);
        done(std::move(got));
      }));
}

void ref_core::async_remove(caf::scheduled_actor* self, timeout_ms timeout,
                            std::function<void(result<res_removed>)> done,
                            std::optional<write_fence> fence) const {
  const write_fence* guard = fence ? &*fence : nullptr;
  if (auto ok = check_fence(guard); !ok)
    return done(ok.error());
  ctx_->async_propose(self, guarded(cmd_remove{id_}, guard), timeout,
                      answered_as<res_removed>(id_, std::move(done)));
}

void ref_core::async_run(caf::scheduled_actor* self, std::string command, std::string args,
                         timeout_ms timeout, std::function<void(result<res_ran>)> done) const {
  ctx_->async_propose(self, cmd_run{id_, std::move(command), std::move(args)}, timeout,
                      answered_as<res_ran>(id_, [done, cache = cache_](result<res_ran> got) {
                        if (got)
                          cache->raise_floor(got->version);
                        done(std::move(got));
                      }));
}

void ref_core::async_query(caf::scheduled_actor* self, std::string name, std::string args,
                           bool stale, timeout_ms timeout,
                           std::function<void(result<query_answer>)> done) const {
  ctx_->async_read(self, query_request(id_, std::move(name), std::move(args), stale), timeout,
                   [done, id = id_](result<read_result> got) {
                     done(expect_read<query_answer>(std::move(got), id));
                   });
}

void ref_core::async_update(caf::scheduled_actor* self, byte_update attempt, timeout_ms timeout,
                            std::function<void(result<byte_update_outcome>)> done,
                            std::optional<write_fence> fence) const {
  if (ctx_->stopped)
    return done(context_impl::shut_down_error());
  if (auto ok = check_fence(fence ? &*fence : nullptr); !ok)
    return done(ok.error());
  request_from(
      self, ctx_->ref_actor(id_), ctx_->backend_timeout(timeout),
      caf::make_message(update_atom::value, update_request{std::move(attempt), std::move(fence)}),
      [done](update_reply& reply) {
        if (reply.failure)
          return done(std::move(*reply.failure));
        done(std::move(reply.outcome));
      },
      [done](caf::error& err) { done(from_caf_error(err)); });
}

} // namespace dref::detail
