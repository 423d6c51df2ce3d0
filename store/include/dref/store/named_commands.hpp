#pragma once
// Named deterministic commands: the cluster replicates "run add_i64 on x
// with 5" instead of a new value, so concurrent increments never conflict.
// Every node must register the same commands with the same code: a command
// must depend on nothing but its inputs (no clock, no randomness, no
// globals), or the nodes' states diverge.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dref/protocol/result.hpp"

namespace dref::store {

// current: the stored value, or nullopt when the id has none. Returns the
// value to store, or an error that leaves everything unchanged.
using named_command =
  std::function<result<std::string>(const std::optional<std::string_view>& current,
                                    std::string_view args)>;

class command_registry {
public:
  // errc::already_exists for a name registered before.
  result<void> add(std::string name, named_command command);
  const named_command* find(std::string_view name) const;
  std::vector<std::string> names() const;

private:
  std::map<std::string, named_command, std::less<>> commands_;
};

// The built-in commands:
//  add_i64: the value and args are 8-byte little-endian signed integers (the
//    binary codec's encoding of std::int64_t); an absent value counts as 0;
//    overflow is an error.
std::shared_ptr<const command_registry> builtin_commands();

// Encodings used by add_i64, for callers that build its args.
std::string encode_i64(std::int64_t value);
result<std::int64_t> decode_i64(std::string_view bytes, std::string_view what);

} // namespace dref::store
