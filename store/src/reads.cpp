// One entry point for reads that arrive as messages.
#include "dref/store/input_checks.hpp"
#include "dref/store/store.hpp"

namespace dref::store {

using namespace protocol;

namespace {

template <class T>
void fill(store_read_reply& reply, result<T> got) {
  if (got)
    reply.value = std::move(*got);
  else
    reply.error = std::move(got).error();
}

} // namespace

store_read_reply store::read(const store_read& request) const {
  store_read_reply reply;
  reply.applied_index = state_.applied;
  if (auto ok = check_read(request, limits_); !ok) {
    reply.error = std::move(ok).error();
    return reply;
  }
  switch (request.kind) {
    case read_kind::value: fill(reply, get(request.id)); break;
    case read_kind::lock: reply.value = lock(request.id); break;
    case read_kind::topic:
      fill(reply, read_topic(request.id, request.from_seq,
                             request.max_messages == 0 ? 1000 : request.max_messages));
      break;
    case read_kind::promise: reply.value = promise(request.id); break;
    case read_kind::delay: reply.value = delay(request.id); break;
    case read_kind::session: fill(reply, session(request.id)); break;
    default:
      reply.error = error{errc::invalid_argument,
                          "unknown read kind " + std::to_string(static_cast<int>(request.kind))};
  }
  return reply;
}

} // namespace dref::store
