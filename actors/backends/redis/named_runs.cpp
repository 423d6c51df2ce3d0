#include "redis/named_runs.hpp"

#include "dref/store/input_checks.hpp"

namespace dref::redis {

using namespace protocol;

namespace {

// The value read, nullopt when there is none, or the error of the read.
result<std::optional<value_state>> value_of(const store_read_reply& read) {
  if (read.error) {
    if (read.error->code == errc::not_found)
      return std::optional<value_state>{};
    return *read.error;
  }
  return std::optional<value_state>{std::get<value_state>(read.value)};
}

std::optional<std::string_view> current(const std::optional<value_state>& value) {
  if (!value)
    return std::nullopt;
  return std::string_view{value->value};
}

} // namespace

const cmd_run* run_in_backend(const store_proposal& proposal) {
  const auto* run = std::get_if<cmd_run>(&proposal.command);
  return run != nullptr && run->command != "add_i64" ? run : nullptr;
}

store_read value_read(const std::string& id) {
  return store_read{read_kind::value, id, 0, 0};
}

std::variant<store_reply, std::vector<std::string>>
command_write(const store_keys& keys, const store::command_registry& registry,
              const store_proposal& proposal, const store_read_reply& read) {
  const auto& run = std::get<cmd_run>(proposal.command);
  auto value = value_of(read);
  if (!value)
    return store::refusal_reply(std::move(value).error());
  auto outcome = store::run_named_command(registry, run.id, run.command, current(*value), run.args,
                                          keys.limits);
  if (!outcome)
    return store::refusal_reply(std::move(outcome).error());
  return run_at_args(keys, proposal, *value ? (*value)->version : 0, *outcome);
}

store_read_reply query_reply(const store::command_registry& registry, const store_read& query,
                             const store_read_reply& read) {
  store_read_reply reply;
  reply.applied_index = read.applied_index;
  auto value = value_of(read);
  if (!value) {
    reply.error = std::move(value).error();
    return reply;
  }
  auto answer =
      store::run_named_query(registry, query.id, query.command, current(*value), query.args);
  if (!answer)
    reply.error = std::move(answer).error();
  else
    reply.value = protocol::query_answer{*value ? (*value)->version : 0, std::move(*answer)};
  return reply;
}

} // namespace dref::redis
