#pragma once
// The one bridge between dref's wire types and CAF: any protocol::wire_type
// is handed to CAF's serializers as its framed cereal encoding, so CAF never
// needs a hand-written inspect per message. Include this header only where
// CAF is already in play (actors/, apps/); the wire types stay CAF-free.

#include "dref/protocol/codec.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <string>

namespace caf {
class actor_system_config;
}

namespace dref {

// The category under which dref::errc travels inside caf::error.
inline constexpr caf::atom_value caf_error_category = caf::atom("dref");

// Lets CAF turn an errc into a caf::error (`caf::error e = errc::timeout;`).
caf::error make_error(errc code);

// dref::error <-> caf::error, keeping the human-readable message.
caf::error to_caf_error(const dref::error& err);
// Errors of other categories map to errc::internal / unavailable with CAF's
// own rendering as the message, so nothing is lost.
dref::error from_caf_error(const caf::error& err);

} // namespace dref

namespace dref::protocol {

template <class Inspector, wire_type T>
typename Inspector::result_type inspect(Inspector& f, T& value) {
  if constexpr (Inspector::reads_state) {
    auto bytes = encode(value);
    return f(caf::meta::type_name(T::wire_name.data()), bytes);
  } else {
    std::string bytes;
    auto load = caf::meta::load_callback([&]() -> caf::error {
      auto decoded = decode<T>(bytes);
      if (!decoded)
        return to_caf_error(decoded.error());
      value = std::move(*decoded);
      return caf::none;
    });
    return f(caf::meta::type_name(T::wire_name.data()), bytes, load);
  }
}

// Registers dref's message types and error category with an actor system
// configuration. Every node must call this before starting its system.
void register_with(caf::actor_system_config& cfg);

} // namespace dref::protocol
