#pragma once
// One change of a ref as on_change(f) reports it when f takes a
// dref::change<T> (ref.hpp): every kind, removals included.

#include <cstdint>
#include <optional>
#include <string>

namespace dref {

enum class change_kind {
  created,    // new_value is the first value (also after a removal)
  written,    // set, cas, update, named command: old_value -> new_value
  removed,    // old_value is what was removed (when known); no new_value
  metadata,   // the metadata changed; the value did not (both hold it when known)
  caught_up,  // the watcher missed changes (see ref::on_change): new_value is current
};

template <class T>
struct change {
  change_kind kind = change_kind::written;
  // nullopt where the kind has none, where the watcher never saw it (a
  // removal or a metadata change before any value reached it), or where
  // this handle's codec could not decode the bytes.
  std::optional<T> old_value;
  std::optional<T> new_value;
  std::uint64_t old_version = 0;  // 0: unknown (catch-ups)
  std::uint64_t new_version = 0;  // the change's version; for a removal, its log index
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

} // namespace detail
} // namespace dref
