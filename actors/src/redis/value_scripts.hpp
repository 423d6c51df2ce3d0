#pragma once
// The scripts behind values in Redis: each check, write and change event
// happens atomically in one script. Keys (each under the configured prefix):
//   v:<id>    hash {value, version}: one value
//   version   the counter every write takes its version from; versions grow
//             across ids, as log indices do in the other backends
//   events    the change-event stream (XADD MAXLEN ~ n), one entry a write:
//             kind (store's event_kind number), id, old_version,
//             new_version, value
// Refusals come back as error replies that start with a code word:
// EXISTS <version>, NOT_FOUND <why>, VERSION_CONFLICT <version> (each code
// has a message after it: Redis puts "ERR " before a bare word). A key of
// another type (written by someone else) gives Redis's own WRONGTYPE.

#include <string>
#include <string_view>
#include <vector>

#include "redis/script.hpp"

namespace dref::redis {

struct value_keys {
  std::string value;
  std::string version;
  std::string events;
  std::vector<std::string> all() const { return {value, version, events}; }
};

value_keys keys_for_value(std::string_view prefix, std::string_view id);

// ARGV: id, bytes, events maxlen. -> version; EXISTS when id has a value.
const script& value_create();
// -> nil, or {bytes, version}.
const script& value_get();
// ARGV: id, bytes, events maxlen. -> version (creates a missing value).
const script& value_set();
// ARGV: id, expected version, bytes, events maxlen. -> version;
// NOT_FOUND, or VERSION_CONFLICT with the current version.
const script& value_cas();

} // namespace dref::redis
