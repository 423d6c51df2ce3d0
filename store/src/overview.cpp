// overview.hpp has the contract.
#include "dref/store/overview.hpp"

#include "dref/store/input_checks.hpp"

namespace dref::store {

namespace {

bool shown(std::string_view id) {
  return !id.starts_with(reserved_prefix);
}

// Adds a row while there is room; counts the rest as left out.
template <class Rows>
bool room(const Rows& rows, const overview_bounds& bounds, bool& more) {
  if (rows.size() < bounds.rows)
    return true;
  more = true;
  return false;
}

std::string cut(const std::string& bytes, const overview_bounds& bounds, bool* truncated) {
  if (bytes.size() <= bounds.value_bytes)
    return bytes;
  if (truncated)
    *truncated = true;
  return bytes.substr(0, bounds.value_bytes);
}

} // namespace

overview summarise(const store& s, const overview_bounds& bounds) {
  const auto& st = s.state();
  overview out;
  out.applied_index = st.applied;
  out.now_ms = st.now_ms;
  out.values_revision = st.values_revision;
  for (const auto& [id, entry] : st.values) {
    if (!shown(id))
      continue;
    ++out.values;
    if (!room(out.value_rows, bounds, out.values_more))
      continue;
    overview::value_row row{id, entry.version, {}, false};
    row.value = cut(entry.value, bounds, &row.truncated);
    out.value_rows.push_back(std::move(row));
  }
  for (const auto& [id, entry] : st.sessions) {
    if (!shown(id))
      continue;
    ++out.sessions;
    if (room(out.session_rows, bounds, out.sessions_more))
      out.session_rows.push_back({id, entry.ttl_ms, entry.deadline_ms});
  }
  for (const auto& [id, entry] : st.locks) {
    if (!shown(id))
      continue;
    if (!entry.session.empty())
      ++out.locks_held;
    out.lock_waiters += entry.waiters.size();
    if (!room(out.lock_rows, bounds, out.locks_more))
      continue;
    out.lock_rows.push_back(
        {id, protocol::lock_state{!entry.session.empty(),
                                  entry.session,
                                  entry.owner,
                                  entry.token,
                                  entry.count,
                                  {entry.waiters.begin(), entry.waiters.end()}}});
  }
  for (const auto& [id, entry] : st.topics) {
    if (!shown(id))
      continue;
    ++out.topics;
    if (!room(out.topic_rows, bounds, out.topics_more))
      continue;
    overview::topic_row row{id, entry.next_seq, {}};
    auto first = entry.messages.size() > bounds.last_messages
                     ? entry.messages.end() - static_cast<std::ptrdiff_t>(bounds.last_messages)
                     : entry.messages.begin();
    for (auto it = first; it != entry.messages.end(); ++it)
      row.last.push_back({it->seq, cut(it->message, bounds, nullptr)});
    out.topic_rows.push_back(std::move(row));
  }
  for (const auto& entry : st.promises)
    out.promises += shown(entry.first) ? 1 : 0;
  for (const auto& entry : st.delays)
    out.delays += shown(entry.first) ? 1 : 0;
  return out;
}

} // namespace dref::store
