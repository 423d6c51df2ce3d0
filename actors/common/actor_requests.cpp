// Proposals, reads and watches from actors, for the primitives' actor APIs
// (locks, topics, promises, delays, elections): each answer runs in the
// requesting actor's context.
#include "context_impl.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/requests/request_deadlines.hpp"
#include "dref/requests/request_from.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduled_actor.hpp>

namespace dref::detail {

namespace {

// A store reply (store_reply, store_read_reply) as done's result: its
// error, or its value.
template <class Reply, class Value>
auto settles(std::function<void(result<Value>)> done) {
  return [done = std::move(done)](Reply& reply) {
    if (reply.error)
      return done(std::move(*reply.error));
    done(std::move(reply.value));
  };
}

// A request to the backend: timed by the context's deadlines
// (request_deadlines.hpp), not by CAF's clock, when it has a timeout.
template <class Reply, class OnReply, class OnError>
void ask_timed(context_impl& ctx, caf::scheduled_actor* self, timeout_ms timeout, caf::message msg,
               OnReply on_reply, OnError on_error) {
  auto limit = ctx.backend_timeout(timeout);
  if (!limit.valid()) {
    request_from(self, ctx.backend->actor, limit, std::move(msg), std::move(on_reply),
                 std::move(on_error));
    return;
  }
  request_timed<Reply>(ctx.deadlines, self, ctx.backend->actor, ctx.timeout_or_default(timeout),
                       std::move(msg), std::move(on_reply), std::move(on_error));
}

} // namespace

void context_impl::ask_backend(caf::scheduled_actor* self, protocol::store_read request,
                               timeout_ms timeout,
                               std::function<void(protocol::store_read_reply&)> on_reply,
                               std::function<void(caf::error&)> on_error) {
  auto replied = [f = std::move(on_reply)](protocol::store_read_reply& reply) { f(reply); };
  auto failed = [f = std::move(on_error)](caf::error& err) { f(err); };
  if (backend->read_here)
    return answer_self(self, caf::make_message(backend->read_here(request)), std::move(replied),
                       std::move(failed));
  ask_timed<protocol::store_read_reply>(
      *this, self, timeout, caf::make_message(backend::read_atom::value, std::move(request)),
      std::move(replied), std::move(failed));
}

void context_impl::ask_backend(caf::scheduled_actor* self, protocol::store_command command,
                               timeout_ms timeout,
                               std::function<void(protocol::store_reply&)> on_reply,
                               std::function<void(caf::error&)> on_error) {
  if (backend->propose_here) {
    // Applied before the call returns, so never sent twice: not numbered
    // (see context_impl::propose in blocking_requests.cpp).
    auto answer = backend->propose_here(protocol::store_proposal{0, 0, 0, 0, std::move(command)});
    return answer_self(
        self, caf::make_message(std::move(answer)),
        [f = std::move(on_reply)](protocol::store_reply& reply) { f(reply); },
        [f = std::move(on_error)](caf::error& err) { f(err); });
  }
  auto proposal = numbered(std::move(command));
  auto finished = [weak = weak_from_this(), sequence = proposal.sequence] {
    if (auto ctx = weak.lock())
      ctx->finish_sequence(sequence);
  };
  ask_timed<protocol::store_reply>(
      *this, self, timeout, caf::make_message(backend::propose_atom::value, std::move(proposal)),
      [f = std::move(on_reply), finished](protocol::store_reply& reply) {
        finished();
        f(reply);
      },
      [f = std::move(on_error), finished](caf::error& err) {
        finished();
        f(err);
      });
}

void context_impl::ask_backend_watch(caf::scheduled_actor* self, const std::string& key,
                                     const caf::actor& watcher, timeout_ms timeout,
                                     std::function<void(std::uint64_t)> on_start,
                                     std::function<void(caf::error&)> on_error) {
  if (backend->watch_here)
    backend->watch_here(key, watcher);
  ask_timed<std::uint64_t>(
      *this, self, timeout, caf::make_message(backend::watch_atom::value, key, watcher),
      [f = std::move(on_start)](std::uint64_t& start) { f(start); },
      [f = std::move(on_error)](caf::error& err) { f(err); });
}

void context_impl::async_propose(caf::scheduled_actor* self, protocol::store_command command,
                                 timeout_ms timeout,
                                 std::function<void(result<protocol::store_result>)> done) {
  if (stopped)
    return done(shut_down_error());
  ask_backend(self, std::move(command), timeout, settles<protocol::store_reply>(done),
              [done](caf::error& err) { done(from_caf_error(err)); });
}

void context_impl::async_read(caf::scheduled_actor* self, protocol::store_read request,
                              timeout_ms timeout,
                              std::function<void(result<protocol::read_result>)> done) {
  if (stopped)
    return done(shut_down_error());
  ask_backend(self, std::move(request), timeout, settles<protocol::store_read_reply>(done),
              [done](caf::error& err) { done(from_caf_error(err)); });
}

void context_impl::async_watch(caf::scheduled_actor* self, const std::string& id,
                               std::function<void(const protocol::store_event&)> on_event,
                               timeout_ms timeout, std::function<void(result<inbox>)> done) {
  if (stopped)
    return done(shut_down_error());
  auto events = inbox::open(self, std::move(on_event));
  // Until the answer, the inbox lives in the handlers: a timeout drops it
  // and so stops the relay.
  ask_backend_watch(
      self, id, events.relay(), timeout, [done, events](std::uint64_t) { done(events); },
      [done](caf::error& err) { done(from_caf_error(err)); });
}

} // namespace dref::detail
