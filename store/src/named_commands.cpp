#include "dref/store/named_commands.hpp"

#include <algorithm>
#include <cstdint>

namespace dref::store {

namespace {

// Adds f under name to one kind's map (what: "named command", "named query").
template <class Map, class F>
result<void> add_to(Map& map, const char* what, std::string name, std::string version, F f) {
  if (name.empty() || version.empty())
    return error{errc::invalid_argument,
                 std::string{what} + " '" + name + "': a name and a version are needed"};
  if (map.count(name) != 0)
    return error{errc::already_exists, std::string{what} + " '" + name + "' is registered already"};
  map.emplace(std::move(name), typename Map::mapped_type{std::move(version), std::move(f)});
  return {};
}

} // namespace

result<void> command_registry::add(std::string name, std::string version, named_command command) {
  return add_to(commands_, "named command", std::move(name), std::move(version),
                std::move(command));
}

result<void> command_registry::add_query(std::string name, std::string version, named_query query) {
  return add_to(queries_, "named query", std::move(name), std::move(version), std::move(query));
}

namespace {

error not_registered(const char* what, std::string_view name) {
  return error{errc::unknown_command,
               std::string{what} + " '" + std::string{name} + "' is not registered on this node"};
}

error about(std::string_view id, std::string_view name, const error& e) {
  return error{e.code, std::string{name} + " on '" + std::string{id} + "': " + e.message};
}

} // namespace

result<command_outcome> run_named_command(const command_registry& registry, std::string_view id,
                                          std::string_view name,
                                          const std::optional<std::string_view>& current,
                                          std::string_view args, const limits& lim) {
  const named_command* command = registry.find(name);
  if (command == nullptr)
    return not_registered("named command", name);
  auto outcome = run_guarded(*command, current, args);
  if (!outcome)
    return about(id, name, outcome.error());
  if (auto ok = check_value_size(id, outcome->answer.size(), lim); !ok)
    return about(id, name,
                 error{ok.error().code, "its answer is too large (" + ok.error().message + ")"});
  if (outcome->value)
    if (auto ok = check_value_size(id, outcome->value->size(), lim); !ok)
      return ok.error();
  return outcome;
}

result<std::string> run_named_query(const command_registry& registry, std::string_view id,
                                    std::string_view name,
                                    const std::optional<std::string_view>& current,
                                    std::string_view args) {
  const named_query* query = registry.find_query(name);
  if (query == nullptr)
    return not_registered("named query", name);
  auto answer = run_guarded(*query, current, args);
  if (!answer)
    return about(id, name, answer.error());
  return answer;
}

const named_command* command_registry::find(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second.run;
}

const named_query* command_registry::find_query(std::string_view name) const {
  auto it = queries_.find(name);
  return it == queries_.end() ? nullptr : &it->second.run;
}

std::vector<std::string> command_registry::fingerprint() const {
  std::vector<std::string> out;
  for (const auto& [name, command] : commands_)
    out.push_back("command " + name + "@" + command.version);
  for (const auto& [name, query] : queries_)
    out.push_back("query " + name + "@" + query.version);
  std::sort(out.begin(), out.end());
  return out;
}

std::string encode_i64(std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
  return out;
}

result<std::int64_t> decode_i64(std::string_view bytes, std::string_view what) {
  if (bytes.size() != 8)
    return error{errc::wrong_type, std::string{what} + " has " + std::to_string(bytes.size()) +
                                       " bytes; a 64-bit integer has 8"};
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return static_cast<std::int64_t>(bits);
}

namespace {

result<command_outcome> add_i64(const std::optional<std::string_view>& current,
                                std::string_view args) {
  auto delta = decode_i64(args, "add_i64's argument");
  if (!delta)
    return delta.error();
  std::int64_t base = 0;
  if (current) {
    auto stored = decode_i64(*current, "the stored value");
    if (!stored)
      return stored.error();
    base = *stored;
  }
  std::int64_t sum = 0;
  if (__builtin_add_overflow(base, *delta, &sum))
    return error{errc::invalid_argument, "add_i64: " + std::to_string(base) + " + " +
                                             std::to_string(*delta) +
                                             " overflows a 64-bit integer"};
  auto sum_bytes = encode_i64(sum);
  return command_outcome{sum_bytes, sum_bytes};
}

} // namespace

command_registry with_builtins() {
  command_registry r;
  (void)r.add("add_i64", "1", add_i64);
  return r;
}

std::shared_ptr<const command_registry> builtin_commands() {
  static const auto registry = std::make_shared<const command_registry>(with_builtins());
  return registry;
}

} // namespace dref::store
