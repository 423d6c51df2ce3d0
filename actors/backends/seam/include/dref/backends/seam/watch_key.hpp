#pragma once
// What a watch names (backend_actor.hpp has the contract): one id, or a
// prefix of ids written as the prefix followed by '*' ("ks/*": every id
// beginning with "ks/"; "*": every id). No id has a '*' (limits.cpp), so a
// key is never both. A prefix watch, like a listing, never covers dref's
// own records (ids under reserved_prefix), whatever its prefix. Pure.

#include "dref/store/input_checks.hpp"

#include <string>
#include <string_view>

namespace dref::backend {

inline bool is_prefix_key(std::string_view key) noexcept {
  return key.ends_with('*');
}

// The prefix of a prefix key ("ks/*" -> "ks/").
inline std::string_view prefix_of(std::string_view key) noexcept {
  return key.substr(0, key.size() - 1);
}

// True when the events of id go to a watch of key.
inline bool key_covers(std::string_view key, std::string_view id) noexcept {
  if (!is_prefix_key(key))
    return key == id;
  return id.starts_with(prefix_of(key)) && !id.starts_with(store::reserved_prefix);
}

// A prefix a watch may name, the same answer wherever it is asked (the
// context, a member's client port, the HTTP gateway): not empty
// (invalid_argument: that would be every change of every value), only the
// characters of an id (invalid_id), not under reserved_prefix
// (invalid_argument: dref's own records are never watched by prefix).
inline result<void> check_watch_prefix(std::string_view prefix, const store::limits& limits) {
  if (prefix.empty())
    return error{errc::invalid_argument, "a prefix watch needs a prefix; an empty one would "
                                         "report every change of every value"};
  if (auto ok = store::check_id(prefix, limits, "watch prefix"); !ok)
    return ok;
  if (prefix.starts_with(store::reserved_prefix))
    return error{errc::invalid_argument,
                 "watch prefix '" + std::string{prefix} + "': ids beginning with '" +
                     std::string{store::reserved_prefix} + "' are dref's own records"};
  return {};
}

} // namespace dref::backend
