#include "state_machine.hpp"

#include "dref/protocol/codec.hpp"

#include <xxhash.h>

namespace dref::raft::node {

state_machine::state_machine(store::limits limits, std::string own_name,
                             std::shared_ptr<const store::command_registry> commands)
    : store_(limits, std::move(commands))
    , own_name_(std::move(own_name)) {}

state_machine::applied_entry state_machine::apply(const core::entry& entry) {
  applied_entry out;
  if (entry.index <= applied_)
    return out;
  out.fresh = true;
  applied_ = entry.index;
  if (entry.type != core::entry_type::normal || entry.data.empty())
    return out;
  auto proposal = protocol::decode<protocol::store_proposal>(entry.data);
  if (!proposal) {
    // Every member decodes the same bytes the same way, so skipping keeps
    // them in step; the proposer gets the reason.
    out.reply.emplace();
    out.reply->error = proposal.error();
    return out;
  }
  auto applied = store_.apply(entry.index, *proposal);
  if (std::holds_alternative<protocol::cmd_expire_due>(proposal->command))
    expiry_in_flight_ = false;
  for (const auto& e : applied.events) {
    if (!e.id.starts_with(directory_prefix))
      continue;
    auto name = e.id.substr(directory_prefix.size());
    if (auto value = store_.get(e.id); value && name != own_name_)
      out.members.push_back(member_address{std::move(name), value->value});
  }
  out.reply = std::move(applied.reply);
  out.events = std::move(applied.events);
  if (auto* run = std::get_if<protocol::cmd_run>(&proposal->command))
    out.command = std::move(*run);
  return out;
}

result<std::vector<member_address>> state_machine::install(const core::snapshot& snap) {
  auto restored = store::store::restore(snap.data, store_.configured_limits(), store_.commands());
  if (!restored)
    return std::move(restored).error();
  store_ = std::move(*restored);
  applied_ = snap.metadata.index;
  std::vector<member_address> members;
  for (const auto& [id, value] : store_.state().values)
    if (id.starts_with(directory_prefix))
      members.push_back(member_address{id.substr(directory_prefix.size()), value.value});
  return members;
}

std::optional<std::string> state_machine::expiry_check(std::uint64_t term,
                                                       std::chrono::steady_clock::time_point now,
                                                       std::chrono::milliseconds interval,
                                                       std::uint64_t leader_time_ms) {
  if (store_.state().sessions.empty() || (expiry_in_flight_ && expiry_term_ == term) ||
      now - last_expiry_check_ < interval)
    return std::nullopt;
  expiry_in_flight_ = true;
  expiry_term_ = term;
  last_expiry_check_ = now;
  return protocol::encode(
      protocol::store_proposal{0, 0, 0, leader_time_ms, protocol::cmd_expire_due{}});
}

std::uint64_t state_machine::state_digest() const {
  auto bytes = store_.snapshot();
  return XXH3_64bits(bytes.data(), bytes.size());
}

} // namespace dref::raft::node
