#pragma once
// Named deterministic commands and queries: the cluster replicates "run
// add_i64 on x with 5" instead of a new value, so concurrent increments never
// conflict, and a query answers from the value where it is instead of
// shipping it. Every node must register the same commands with the same
// code: a command must depend on nothing but its inputs (no clock, no
// randomness, no globals), or the nodes' states diverge. Each is registered
// under a name and a version string; the fingerprint (names and versions)
// is what members compare when they connect (protocol::limits_offer).
//
// A command answers the value to store (nullopt: the value stays as it is,
// at its version, and no change is announced) and an answer of its own; an
// error leaves everything unchanged. A query answers from the value without
// changing it. For an id without a value, current is nullopt: add_i64
// counts it as 0, typed commands and queries (dref/commands.hpp) answer
// not_found.

#include "dref/protocol/result.hpp"
#include "dref/store/limits.hpp"

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::store {

struct command_outcome {
  std::optional<std::string> value; // nullopt: unchanged
  std::string answer;
};

// current: the stored value, or nullopt when the id has none.
using named_command = std::function<result<command_outcome>(
    const std::optional<std::string_view>& current, std::string_view args)>;
using named_query = std::function<result<std::string>(
    const std::optional<std::string_view>& current, std::string_view args)>;

class command_registry {
public:
  // errc::already_exists for a name registered before (commands and
  // queries each have their own names); invalid_argument for an empty name
  // or version.
  result<void> add(std::string name, std::string version, named_command command);
  result<void> add_query(std::string name, std::string version, named_query query);
  const named_command* find(std::string_view name) const;
  const named_query* find_query(std::string_view name) const;
  // "command NAME@VERSION" and "query NAME@VERSION", sorted.
  std::vector<std::string> fingerprint() const;

private:
  template <class F>
  struct entry {
    std::string version;
    F run;
  };
  std::map<std::string, entry<named_command>, std::less<>> commands_;
  std::map<std::string, entry<named_query>, std::less<>> queries_;
};

// Calls a command or query, turning an exception it throws into
// command_failed: their code is the user's, and nothing in a replica's apply
// path may throw (the store calls every one through here).
template <class F, class... Args>
auto run_guarded(const F& f, const Args&... args) -> decltype(f(args...)) {
  try {
    return f(args...);
  } catch (const std::exception& ex) {
    return error{errc::command_failed, std::string{"it threw: "} + ex.what()};
  } catch (...) {
    return error{errc::command_failed, "it threw something that is not a std::exception"};
  }
}

// Command `name` run on the value at id as every backend runs it (memory
// and raft in the store's apply, redis in the backend before its write):
// unknown_command when it is not registered, the command's own refusal or
// command_failed (run_guarded) with "NAME on 'ID': " before its message, an
// answer or new value over the limits refused. Writes nothing: the caller
// stores outcome.value.
result<command_outcome> run_named_command(const command_registry& registry, std::string_view id,
                                          std::string_view name,
                                          const std::optional<std::string_view>& current,
                                          std::string_view args, const limits& lim);
// Query `name` on the value at id, with the same errors.
result<std::string> run_named_query(const command_registry& registry, std::string_view id,
                                    std::string_view name,
                                    const std::optional<std::string_view>& current,
                                    std::string_view args);

// The built-in commands, which every registry starts with:
//  add_i64: the value and args are 8-byte little-endian signed integers (the
//    binary codec's encoding of std::int64_t); an absent value counts as 0;
//    overflow is an error. Its answer is the new value.
std::shared_ptr<const command_registry> builtin_commands();
// A registry holding the built-ins, to add to.
command_registry with_builtins();

// Encodings used by add_i64, for callers that build its args.
std::string encode_i64(std::int64_t value);
result<std::int64_t> decode_i64(std::string_view bytes, std::string_view what);

} // namespace dref::store
