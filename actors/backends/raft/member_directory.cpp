#include "member_directory.hpp"

#include <charconv>

namespace dref::raft::node {

std::uint64_t member_id(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull; // FNV-1a
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash == 0 ? 1 : hash;
}

// The host is taken as written (a name is resolved when dialled); only the
// port is checked strictly, since a port that does not parse used to end
// the node and one out of range was dialled truncated.
result<config::endpoint> parse_member_address(std::string_view address) {
  auto refuse = [&](std::string_view why) {
    return error{errc::invalid_argument,
                 "member address '" + std::string{address} + "' " + std::string{why}};
  };
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos)
    return refuse("is not host:port");
  config::endpoint target;
  target.host = std::string{address.substr(0, colon)};
  if (target.host.size() > 2 && target.host.front() == '[')
    target.host = target.host.substr(1, target.host.size() - 2);
  if (target.host.empty())
    return refuse("has no host");
  auto port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port < 1 || port > 65535)
    return refuse("has no port number 1-65535");
  target.port = static_cast<std::uint16_t>(port);
  return target;
}

} // namespace dref::raft::node
