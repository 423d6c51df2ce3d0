#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/make_message.hpp>

namespace dref {

caf::error make_error(errc code) {
  return caf::error{static_cast<std::uint8_t>(code), caf_error_category};
}

caf::error to_caf_error(const dref::error& err) {
  return caf::error{static_cast<std::uint8_t>(err.code), caf_error_category,
                    caf::make_message(err.message)};
}

dref::error from_caf_error(const caf::error& err) {
  if (!err)
    return dref::error{errc::internal, "no error"};
  if (err.category() == caf_error_category) {
    std::string message;
    if (err.context().match_elements<std::string>())
      message = err.context().get_as<std::string>(0);
    return dref::error{static_cast<errc>(err.code()), std::move(message)};
  }
  // CAF's own errors: a request timeout means the outcome is unknown, a broken
  // link or a dead actor means the peer is not reachable right now.
  auto rendered = caf::to_string(err);
  if (err == caf::sec::request_timeout)
    return dref::error{errc::timeout, rendered};
  return dref::error{errc::unavailable, rendered};
}

} // namespace dref

namespace dref::protocol {

void register_with(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::dref>();
  cfg.add_error_category(caf_error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& context) {
                           std::string out{"dref::"};
                           out += to_string(static_cast<errc>(code));
                           if (context.match_elements<std::string>()) {
                             out += ": ";
                             out += context.get_as<std::string>(0);
                           }
                           return out;
                         });
}

} // namespace dref::protocol
