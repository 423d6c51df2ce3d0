// A context's requests from blocking code: one at a time per thread, from
// the thread's requester (requester_pool.hpp), or in the thread itself where
// the backend allows it (the memory backend's store behind its lock).
#include "context_impl.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/scoped_actor.hpp>

namespace dref::detail {
namespace {

// A backend's reply (an optional error and a value of type Value) as a result.
template <class Value, class Reply>
result<Value> from_reply(Reply reply) {
  if (reply.error)
    return std::move(*reply.error);
  return std::move(reply.value);
}

// One blocking request to the backend, timed by the context's deadlines
// (request_deadlines.hpp) rather than CAF's clock, which a timed request
// wakes and which later sends the answered request's timeout all the same.
template <class Reply, class Value, class... Args>
result<Value> ask(request_deadlines& deadlines, caf::scoped_actor& self,
                  const backend::backend_actor& backend, std::chrono::milliseconds timeout,
                  Args&&... args) {
  result<Value> out = error{errc::internal, "no answer"};
  auto flag = request_deadlines::new_flag();
  auto handle = self->request(backend, caf::infinite, std::forward<Args>(args)...);
  deadlines.add(self.ptr(), handle.id(), timeout, flag);
  handle.receive(
      [&](Reply& reply) {
        request_deadlines::answered(flag);
        out = from_reply<Value>(std::move(reply));
      },
      [&](caf::error& err) {
        request_deadlines::answered(flag);
        out = from_caf_error(err);
      });
  return out;
}

} // namespace

std::mutex& context_impl::update_mutex(const std::string& id) {
  std::lock_guard guard{update_mutexes_mutex_};
  return update_mutexes_[id];
}

std::chrono::milliseconds context_impl::timeout_or_default(timeout_ms timeout) const {
  return timeout.value_or(options.request_timeout);
}

caf::duration context_impl::backend_timeout(timeout_ms timeout) const {
  if (backend->answers_at_once && !timeout)
    return caf::duration{}; // infinite
  return caf::duration{timeout_or_default(timeout)};
}

result<protocol::store_result> context_impl::propose(protocol::store_command command,
                                                     timeout_ms timeout) {
  if (stopped)
    return shut_down_error();
  if (backend->propose_here) {
    // Applied before the call returns, so never sent twice: no client id,
    // no cached answer. (Numbered, it could wait behind thousands of these
    // and find its sequence dropped from the cache as too old.)
    return from_reply<protocol::store_result>(
        backend->propose_here(protocol::store_proposal{0, 0, 0, 0, std::move(command)}));
  }
  auto proposal = numbered(std::move(command));
  auto sequence = proposal.sequence;
  auto out = ask<protocol::store_reply, protocol::store_result>(
      deadlines, requester(), backend->actor, timeout_or_default(timeout),
      backend::propose_atom::value, std::move(proposal));
  finish_sequence(sequence);
  return out;
}

result<protocol::read_result> context_impl::read(protocol::store_read request, timeout_ms timeout) {
  if (stopped)
    return shut_down_error();
  if (backend->read_here)
    return from_reply<protocol::read_result>(backend->read_here(request));
  return ask<protocol::store_read_reply, protocol::read_result>(
      deadlines, requester(), backend->actor, timeout_or_default(timeout),
      backend::read_atom::value, std::move(request));
}

} // namespace dref::detail
