// Values: create, set, cas, patch, remove, metadata and named commands.
#include "context.hpp"
#include "dref/store/delta.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/refusals.hpp"

namespace dref::store {

using namespace protocol;

namespace {

error missing(const std::string& id) {
  return error{errc::not_found, "ref '" + id + "' does not exist"};
}

// The value under id if it is at exactly `expected`.
template <class Values>
result<value_entry*> value_at(Values& values, const std::string& id, std::uint64_t expected) {
  auto it = values.find(id);
  if (it == values.end())
    return missing(id);
  if (it->second.version != expected)
    return version_conflict(id, it->second.version, expected);
  return &it->second;
}

} // namespace

void store::write_value(context& ctx, value_entry& entry, const std::string& id, std::string value,
                        const std::string* delta) {
  auto& e = ctx.emit(event_kind::value_written, id);
  e.old_version = entry.version;
  if (delta != nullptr && delta->size() < value.size()) {
    e.payload_type = payload_kind::delta;
    e.payload = *delta;
  } else if (entry.value.size() >= limits_.delta_min_bytes &&
             value.size() >= limits_.delta_min_bytes) {
    auto made = encode_delta(entry.value, value);
    if (made.size() < value.size()) {
      e.payload_type = payload_kind::delta;
      e.payload = std::move(made);
    }
  }
  if (e.payload_type == payload_kind::none) {
    e.payload_type = payload_kind::full;
    e.payload = value;
  }
  e.old_value = std::move(entry.value);
  entry.value = std::move(value);
  entry.version = ctx.index;
}

namespace {

void created_event(store::context& ctx, const std::string& id, const value_entry& entry) {
  auto& e = ctx.emit(event_kind::value_created, id);
  e.payload_type = payload_kind::full;
  e.payload = entry.value;
}

} // namespace

result<store_result> store::on(context& ctx, const cmd_create_if_absent& cmd) {
  if (auto it = state_.values.find(cmd.id); it != state_.values.end())
    return res_created{false, it->second.version, it->second.value};
  auto& entry = state_.values[cmd.id];
  entry = value_entry{cmd.value, ctx.index, cmd.metadata, {}};
  created_event(ctx, cmd.id, entry);
  return res_created{true, ctx.index, {}};
}

result<store_result> store::on(context& ctx, const cmd_set& cmd) {
  set_value(ctx, cmd.id, cmd.value);
  return res_written{ctx.index};
}

// A member's address, as an ordinary value under the reserved prefix: read
// and watched like any value, written only by this command.
result<store_result> store::on(context& ctx, const cmd_member_announce& cmd) {
  set_value(ctx, std::string{member_directory_prefix} + cmd.name, cmd.address);
  return res_written{ctx.index};
}

void store::set_value(context& ctx, const std::string& id, const std::string& value) {
  auto it = state_.values.find(id);
  if (it == state_.values.end()) {
    auto& entry = state_.values[id];
    entry = value_entry{value, ctx.index, {}, {}};
    created_event(ctx, id, entry);
  } else {
    write_value(ctx, it->second, id, value, nullptr);
  }
}

result<store_result> store::on(context& ctx, const cmd_cas& cmd) {
  if (cmd.expected_version == 0 && state_.values.count(cmd.id) == 0) {
    auto& entry = state_.values[cmd.id];
    entry = value_entry{cmd.value, ctx.index, {}, {}};
    created_event(ctx, cmd.id, entry);
    return res_written{ctx.index};
  }
  auto entry = value_at(state_.values, cmd.id, cmd.expected_version);
  if (!entry)
    return entry.error();
  write_value(ctx, **entry, cmd.id, cmd.value, nullptr);
  return res_written{ctx.index};
}

result<store_result> store::on(context& ctx, const cmd_patch& cmd) {
  auto entry = value_at(state_.values, cmd.id, cmd.expected_version);
  if (!entry)
    return entry.error();
  auto patched = apply_delta((*entry)->value, cmd.delta, limits_.max_value_bytes);
  if (!patched)
    return error{patched.error().code, "patch of ref '" + cmd.id + "': " + patched.error().message};
  write_value(ctx, **entry, cmd.id, std::move(*patched), &cmd.delta);
  return res_written{ctx.index};
}

result<store_result> store::on(context& ctx, const cmd_remove& cmd) {
  auto it = state_.values.find(cmd.id);
  if (it == state_.values.end())
    return res_removed{false, 0};
  res_removed removed{true, it->second.version};
  erase_value(ctx, it, nullptr);
  return removed;
}

result<store_result> store::on(context& ctx, const cmd_set_metadata& cmd) {
  auto it = state_.values.find(cmd.id);
  if (it == state_.values.end())
    return missing(cmd.id);
  auto& e = ctx.emit(event_kind::metadata_changed, cmd.id);
  e.old_version = it->second.version;
  it->second.metadata = cmd.metadata;
  it->second.version = ctx.index;
  return res_written{ctx.index};
}

result<store_result> store::on(context& ctx, const cmd_run& cmd) {
  auto it = state_.values.find(cmd.id);
  std::optional<std::string_view> current;
  if (it != state_.values.end())
    current = it->second.value;
  auto outcome = run_named_command(*commands_, cmd.id, cmd.command, current, cmd.args, limits_);
  if (!outcome)
    return std::move(outcome).error();
  if (!outcome->value)
    return res_ran{it == state_.values.end() ? 0 : it->second.version, std::move(outcome->answer)};
  auto& next = *outcome->value;
  res_ran ran{ctx.index, std::move(outcome->answer)};
  if (it == state_.values.end()) {
    auto& entry = state_.values[cmd.id];
    entry = value_entry{std::move(next), ctx.index, {}, {}};
    created_event(ctx, cmd.id, entry);
  } else {
    write_value(ctx, it->second, cmd.id, std::move(next), nullptr);
  }
  return ran;
}

result<value_state> store::get(std::string_view id) const {
  auto it = state_.values.find(id);
  if (it == state_.values.end())
    return missing(std::string{id});
  return value_state{it->second.value, it->second.version, it->second.metadata, it->second.owner};
}

} // namespace dref::store
