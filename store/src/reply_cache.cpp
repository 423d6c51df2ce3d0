// The retry-answer cache: who is seen, what is kept, what goes first
// (reply_cache.hpp). Runs in the apply path: nothing here throws on client
// data, and the order of eviction depends on the log alone.
#include "dref/store/reply_cache.hpp"

#include "dref/store/store.hpp"

#include <type_traits>
#include <variant>

namespace dref::store {

std::uint64_t cached_reply_size(const protocol::store_reply& reply) noexcept {
  if (reply.error)
    return reply_entry_bytes;
  auto carried = std::visit(
      [](const auto& r) -> std::uint64_t {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, protocol::res_delay>)
          return r.runner.size() + r.value.size();
        else if constexpr (requires { r.value.size(); })
          return r.value.size();
        else
          return 0;
      },
      reply.value);
  return reply_entry_bytes + carried;
}

client_entry& store::seen_client(std::uint64_t client_id) {
  auto [it, added] = state_.clients.try_emplace(client_id);
  auto& client = it->second;
  if (added)
    cached_bytes_ += client_entry_bytes;
  else
    client_activity_.erase({client.last_seen_ms, client_id});
  client.last_seen_ms = state_.now_ms;
  client_activity_.emplace(client.last_seen_ms, client_id);
  return client;
}

void store::drop_answers_through(client_entry& client, std::uint64_t sequence) {
  if (sequence <= client.acked)
    return;
  client.acked = sequence;
  auto end = client.replies.upper_bound(sequence);
  for (auto it = client.replies.begin(); it != end; ++it) {
    auto size = cached_reply_size(it->second);
    client.reply_bytes -= size;
    cached_bytes_ -= size;
  }
  client.replies.erase(client.replies.begin(), end);
}

void store::cache_reply(std::uint64_t client_id, client_entry& client, std::uint64_t sequence,
                        const protocol::store_reply& reply) {
  auto size = cached_reply_size(reply);
  client.replies.emplace(sequence, reply);
  client.reply_bytes += size;
  cached_bytes_ += size;
  // The client's oldest answers go first; a retry of one is refused, not
  // run again, since it is at or below acked.
  while (!client.replies.empty() &&
         (client.replies.size() > max_cached_replies_per_client ||
          client.reply_bytes > limits_.max_cached_reply_bytes_per_client)) {
    drop_answers_through(client, client.replies.begin()->first);
  }
  // Then the least recently seen clients' caches, then those clients.
  // The client just seen keeps its entry, so its acked stays known.
  auto next = client_activity_.begin();
  while (cached_bytes_ > limits_.max_cached_reply_bytes && next != client_activity_.end()) {
    auto [last_seen, id] = *next++;
    auto& other = state_.clients.find(id)->second;
    if (!other.replies.empty())
      drop_answers_through(other, other.replies.rbegin()->first);
    else if (id != client_id)
      forget_client(id);
  }
}

void store::forget_client(std::uint64_t client_id) {
  auto it = state_.clients.find(client_id);
  if (it == state_.clients.end())
    return;
  cached_bytes_ -= client_entry_bytes + it->second.reply_bytes;
  client_activity_.erase({it->second.last_seen_ms, client_id});
  state_.clients.erase(it);
}

void store::forget_idle_clients() {
  while (!client_activity_.empty() &&
         client_activity_.begin()->first + limits_.client_idle_ms < state_.now_ms)
    forget_client(client_activity_.begin()->second);
}

} // namespace dref::store
