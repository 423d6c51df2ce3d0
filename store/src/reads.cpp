// One entry point for reads that arrive as messages.
#include "dref/store/input_checks.hpp"
#include "dref/store/store.hpp"

#include <iterator>
#include <string>

namespace dref::store {

using namespace protocol;

namespace {

// The first string above every id under reserved_prefix ("dref/" -> "dref0").
const std::string reserved_after = [] {
  std::string s{reserved_prefix};
  ++s.back();
  return s;
}();

template <class T>
void fill(store_read_reply& reply, result<T> got) {
  if (got)
    reply.value = std::move(*got);
  else
    reply.error = std::move(got).error();
}

} // namespace

result<list_page> store::list(std::string_view prefix, std::string_view after,
                              std::uint64_t limit) const {
  store_read request{read_kind::list, std::string{prefix}, 0, limit, std::string{after}};
  if (auto ok = check_read(request, limits_); !ok)
    return std::move(ok).error();
  if (limit == 0)
    limit = max_list_page;
  list_page page;
  page.revision = state_.values_revision;
  const auto& values = state_.values;
  auto it = after < prefix ? values.lower_bound(prefix) : values.upper_bound(after);
  for (; it != values.end() && it->first.starts_with(prefix); ++it) {
    if (it->first.starts_with(reserved_prefix)) {
      // dref's records sort together: step over all of them at once.
      it = std::prev(values.lower_bound(reserved_after));
      continue;
    }
    if (page.ids.size() == limit) {
      page.more = true;
      break;
    }
    page.ids.push_back(listed_id{it->first, it->second.version});
  }
  return page;
}

result<query_answer> store::query(std::string_view id, std::string_view name,
                                  std::string_view args) const {
  auto it = state_.values.find(id);
  std::optional<std::string_view> current;
  if (it != state_.values.end())
    current = it->second.value;
  auto answer = run_named_query(*commands_, id, name, current, args);
  if (!answer)
    return std::move(answer).error();
  return query_answer{it == state_.values.end() ? 0 : it->second.version, std::move(*answer)};
}

store_read_reply store::read(const store_read& request) const {
  store_read_reply reply;
  reply.applied_index = state_.applied;
  if (auto ok = check_read(request, limits_); !ok) {
    reply.error = std::move(ok).error();
    return reply;
  }
  switch (request.kind) {
    case read_kind::value:
      fill(reply, get(request.id));
      break;
    case read_kind::lock:
      reply.value = lock(request.id);
      break;
    case read_kind::topic:
      fill(reply, read_topic(request.id, request.from_seq,
                             request.max_messages == 0 ? 1000 : request.max_messages));
      break;
    case read_kind::promise:
      reply.value = promise(request.id);
      break;
    case read_kind::delay:
      reply.value = delay(request.id);
      break;
    case read_kind::session:
      fill(reply, session(request.id));
      break;
    case read_kind::list:
      fill(reply, list(request.id, request.after, request.max_messages));
      break;
    case read_kind::query:
      fill(reply, query(request.id, request.command, request.args));
      break;
    default:
      reply.error = error{errc::invalid_argument,
                          "unknown read kind " + std::to_string(static_cast<int>(request.kind))};
  }
  return reply;
}

} // namespace dref::store
