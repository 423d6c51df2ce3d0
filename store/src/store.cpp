#include "dref/store/store.hpp"

#include <algorithm>

#include "context.hpp"
#include "dref/protocol/codec.hpp"
#include "dref/store/input_checks.hpp"

namespace dref::store {

namespace {
// Answers a client never acknowledges must not pile up without bound.
constexpr std::size_t max_cached_replies_per_client = 4096;
} // namespace

store::store(dref::store::limits lim, std::shared_ptr<const command_registry> commands)
  : limits_(lim), commands_(commands ? std::move(commands) : builtin_commands()) {}

apply_outcome store::apply(std::uint64_t log_index, const protocol::store_proposal& proposal) {
  apply_outcome out;
  if (log_index <= state_.applied) {
    out.reply.error = dref::error{errc::invalid_argument,
                                  "log index " + std::to_string(log_index)
                                    + " is not above the last applied index "
                                    + std::to_string(state_.applied)};
    return out;
  }
  state_.applied = log_index;
  state_.now_ms = std::max(state_.now_ms, proposal.leader_time_ms);
  context ctx{log_index, state_.now_ms, out.events};
  expire_due(ctx);
  forget_idle_clients();

  if (proposal.client_id == 0) {
    out.reply = execute(ctx, proposal.command);
    return out;
  }
  auto& client = state_.clients[proposal.client_id];
  client_activity_.erase({client.last_seen_ms, proposal.client_id});
  client.last_seen_ms = ctx.now_ms;
  client_activity_.emplace(client.last_seen_ms, proposal.client_id);
  if (proposal.acked_sequence > client.acked) {
    client.acked = proposal.acked_sequence;
    client.replies.erase(client.replies.begin(), client.replies.upper_bound(client.acked));
  }
  if (proposal.sequence <= client.acked) {
    out.duplicate = true;
    out.reply.error = dref::error{
      errc::invalid_argument,
      "client " + std::to_string(proposal.client_id) + ": sequence "
        + std::to_string(proposal.sequence)
        + " is at or below the acknowledged sequence " + std::to_string(client.acked)
        + " (sequences start at 1; an acknowledged answer is not kept)"};
    return out;
  }
  if (auto cached = client.replies.find(proposal.sequence); cached != client.replies.end()) {
    out.duplicate = true;
    out.reply = cached->second;
    return out;
  }
  out.reply = execute(ctx, proposal.command);
  client.replies.emplace(proposal.sequence, out.reply);
  if (client.replies.size() > max_cached_replies_per_client) {
    // The oldest answer goes; a retry of it is then refused, not re-run.
    client.acked = client.replies.begin()->first;
    client.replies.erase(client.replies.begin());
  }
  return out;
}

protocol::store_reply store::execute(context& ctx, const protocol::store_command& command) {
  std::size_t events_before = ctx.events.size();
  result<protocol::store_result> outcome = protocol::res_done{};
  if (auto ok = check_input(command, limits_); !ok)
    outcome = std::move(ok).error();
  else
    outcome = std::visit([&](const auto& cmd) { return on(ctx, cmd); }, command);
  protocol::store_reply reply;
  if (outcome) {
    reply.value = std::move(*outcome);
  } else {
    // Handlers check before they change anything; an error emits nothing.
    ctx.events.resize(events_before);
    reply.error = std::move(outcome).error();
    reply.value = protocol::res_done{};
  }
  return reply;
}

void store::expire_due(context& ctx) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= ctx.now_ms) {
    std::string id = deadlines_.begin()->second;
    end_session(ctx, id, true);
  }
}

void store::forget_idle_clients() {
  while (!client_activity_.empty()
         && client_activity_.begin()->first + limits_.client_idle_ms < state_.now_ms) {
    state_.clients.erase(client_activity_.begin()->second);
    client_activity_.erase(client_activity_.begin());
  }
}

void store::rebuild_indexes() {
  deadlines_.clear();
  client_activity_.clear();
  for (const auto& [id, session] : state_.sessions)
    deadlines_.emplace(session.deadline_ms, id);
  for (const auto& [id, client] : state_.clients)
    client_activity_.emplace(client.last_seen_ms, id);
}

std::string store::snapshot() const { return protocol::encode(state_); }

result<store> store::restore(std::string_view snapshot, dref::store::limits lim,
                             std::shared_ptr<const command_registry> commands) {
  auto decoded = protocol::decode<store_state>(snapshot);
  if (!decoded)
    return std::move(decoded).error();
  store restored{lim, std::move(commands)};
  restored.state_ = std::move(*decoded);
  restored.rebuild_indexes();
  return restored;
}

} // namespace dref::store
