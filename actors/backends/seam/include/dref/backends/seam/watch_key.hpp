#pragma once
// What a watch names (backend_actor.hpp has the contract): one id, or a
// prefix of ids written as the prefix followed by '*' ("ks/*": every id
// beginning with "ks/"; "*": every id). No id has a '*' (limits.cpp), so a
// key is never both. A prefix watch, like a listing, never covers dref's
// own records (ids under reserved_prefix), whatever its prefix. Pure.

#include "dref/store/input_checks.hpp"

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

} // namespace dref::backend
