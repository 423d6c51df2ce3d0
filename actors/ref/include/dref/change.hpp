#pragma once
// One change of a ref as on_change(f) reports it when f takes a
// dref::change<T> (ref.hpp): every kind, removals included; a prefix
// watch (context::watch_prefix) reports the same, with the id.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace dref {

enum class change_kind {
  created,   // new_value is the first value (also after a removal)
  written,   // set, cas, update, named command: old_value -> new_value
  removed,   // old_value is what was removed (when known); no new_value
  metadata,  // the metadata changed; the value did not (both hold it when known)
  caught_up, // the watcher missed changes (see ref::on_change): new_value is current
};

template <class T>
struct change {
  change_kind kind = change_kind::written;
  // nullopt where the kind has none, where the watcher never saw it (a
  // removal or a metadata change before any value reached it), or where
  // this handle's codec could not decode the bytes.
  std::optional<T> old_value;
  std::optional<T> new_value;
  std::uint64_t old_version = 0; // 0: unknown (catch-ups)
  std::uint64_t new_version = 0; // the change's version; for a removal, its log index
};

namespace detail {

// The same in bytes, as the watch delivers it (watch.cpp).
struct byte_change {
  change_kind kind = change_kind::written;
  std::optional<std::string> old_bytes;
  std::optional<std::string> new_bytes;
  std::uint64_t old_version = 0;
  std::uint64_t new_version = 0;
};

// A byte change as a change<T>: bytes Codec cannot decode become nullopt.
template <class T, class Codec>
change<T> typed_change(const byte_change& c) {
  auto decoded = [](const std::optional<std::string>& bytes) -> std::optional<T> {
    if (!bytes)
      return std::nullopt;
    auto value = Codec::decode(*bytes);
    if (!value)
      return std::nullopt;
    return std::optional<T>{std::move(*value)};
  };
  return change<T>{c.kind, decoded(c.old_bytes), decoded(c.new_bytes), c.old_version,
                   c.new_version};
}

// on_change(f)'s f as a handler of byte changes: f takes a change<T> (every
// kind) or (old, new) T values (writes and catch-ups only); ref.hpp says
// more. Bytes Codec cannot decode become nullopt, or skip the (old, new) form.
template <class T, class Codec, class F>
std::function<void(const byte_change&)> typed_change_handler(F f) {
  if constexpr (std::is_invocable_v<F&, const change<T>&>) {
    return [f = std::move(f)](const byte_change& c) {
      f(static_cast<const change<T>&>(typed_change<T, Codec>(c)));
    };
  } else {
    return [f = std::move(f)](const byte_change& c) {
      bool a_write = c.kind == change_kind::written || c.kind == change_kind::caught_up;
      if (!a_write || !c.old_bytes || !c.new_bytes)
        return;
      auto old_value = Codec::decode(*c.old_bytes);
      auto new_value = Codec::decode(*c.new_bytes);
      if (old_value && new_value)
        f(static_cast<const T&>(*old_value), static_cast<const T&>(*new_value));
    };
  }
}

// The changes of a prefix watch (context::watch_prefix), in bytes, with
// the id each happened to.
using keyed_change_handler = std::function<void(const std::string& id, const byte_change&)>;

template <class T, class Codec, class F>
keyed_change_handler typed_keyed_handler(F f) {
  return [f = std::move(f)](const std::string& id, const byte_change& c) {
    f(id, static_cast<const change<T>&>(typed_change<T, Codec>(c)));
  };
}

} // namespace detail
} // namespace dref
