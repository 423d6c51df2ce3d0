#include "dref/store/store.hpp"

#include "context.hpp"
#include "dref/protocol/codec.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/reply_cache.hpp"

#include <algorithm>

namespace dref::store {

store::store(dref::store::limits lim, std::shared_ptr<const command_registry> commands)
    : limits_(lim)
    , commands_(commands ? std::move(commands) : builtin_commands()) {}

apply_outcome store::apply(std::uint64_t log_index, const protocol::store_proposal& proposal) {
  apply_outcome out;
  if (log_index <= state_.applied) {
    out.reply.error =
        dref::error{errc::invalid_argument, "log index " + std::to_string(log_index) +
                                                " is not above the last applied index " +
                                                std::to_string(state_.applied)};
    return out;
  }
  state_.applied = log_index;
  state_.now_ms = std::max(state_.now_ms, proposal.leader_time_ms);
  context ctx{log_index, state_.now_ms, out.events};
  expire_due(ctx);
  note_value_changes(ctx, 0); // expiry removes the values sessions owned
  forget_idle_clients();

  if (proposal.client_id == 0) {
    out.reply = execute(ctx, proposal.command);
    return out;
  }
  auto& client = seen_client(proposal.client_id);
  drop_answers_through(client, proposal.acked_sequence);
  if (proposal.sequence <= client.acked) {
    out.duplicate = true;
    out.reply.error = dref::error{
        errc::invalid_argument,
        "client " + std::to_string(proposal.client_id) + ": sequence " +
            std::to_string(proposal.sequence) + " is at or below the acknowledged sequence " +
            std::to_string(client.acked) +
            " (sequences start at 1; an acknowledged answer is not kept, nor one dropped to "
            "bound the retry cache)"};
    return out;
  }
  if (auto cached = client.replies.find(proposal.sequence); cached != client.replies.end()) {
    out.duplicate = true;
    out.reply = cached->second;
    return out;
  }
  out.reply = execute(ctx, proposal.command);
  cache_reply(proposal.client_id, client, proposal.sequence, out.reply);
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
    note_value_changes(ctx, events_before);
  } else {
    // Handlers check before they change anything; an error emits nothing.
    ctx.events.resize(events_before);
    reply.error = std::move(outcome).error();
    reply.value = protocol::res_done{};
  }
  return reply;
}

void store::note_value_changes(const context& ctx, std::size_t first_event) {
  using protocol::event_kind;
  for (std::size_t i = first_event; i < ctx.events.size(); ++i) {
    const auto& e = ctx.events[i];
    bool value_event = e.kind == event_kind::value_created || e.kind == event_kind::value_written ||
                       e.kind == event_kind::value_removed ||
                       e.kind == event_kind::metadata_changed;
    if (value_event && !e.id.starts_with(reserved_prefix))
      state_.values_revision = ctx.index;
  }
}

void store::expire_due(context& ctx) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= ctx.now_ms) {
    std::string id = deadlines_.begin()->second;
    end_session(ctx, id, true);
  }
}

void store::rebuild_indexes() {
  deadlines_.clear();
  client_activity_.clear();
  for (const auto& [id, session] : state_.sessions)
    deadlines_.emplace(session.deadline_ms, id);
  cached_bytes_ = 0;
  for (auto& [id, client] : state_.clients) {
    client_activity_.emplace(client.last_seen_ms, id);
    client.reply_bytes = 0;
    for (const auto& [sequence, reply] : client.replies)
      client.reply_bytes += cached_reply_size(reply);
    cached_bytes_ += client_entry_bytes + client.reply_bytes;
  }
}

std::string store::snapshot() const {
  return protocol::encode_sized(state_);
}

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
