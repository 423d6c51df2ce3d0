#include "peer_roles.hpp"

#include <algorithm>
#include <caf/atom.hpp>
#include <caf/binary_serializer.hpp>

namespace dref::net {

namespace {

std::uint64_t big_endian_u64(std::span<const unsigned char> bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = value << 8 | bytes[static_cast<std::size_t>(i)];
  return value;
}

bool starts_with(std::span<const unsigned char> bytes, const std::vector<unsigned char>& head) {
  return !head.empty() && bytes.size() >= head.size() &&
         std::equal(head.begin(), head.end(), bytes.begin());
}

} // namespace

std::optional<std::vector<unsigned char>> node_id_prefix(std::span<const unsigned char> payload) {
  constexpr std::size_t atom_size = 8;
  constexpr std::size_t default_size = atom_size + 4 + 20; // atom, pid, host hash
  if (payload.size() < atom_size)
    return std::nullopt;
  auto implementation = big_endian_u64(payload);
  if (implementation != static_cast<std::uint64_t>(caf::atom("default")) ||
      payload.size() < default_size)
    return std::nullopt;
  return std::vector<unsigned char>{payload.begin(),
                                    payload.begin() + static_cast<std::ptrdiff_t>(default_size)};
}

std::vector<unsigned char> node_id_bytes(const caf::node_id& node) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  if (sink(node))
    return {};
  return {bytes.begin(), bytes.end()};
}

bool connection_rules::admit(const frame_start& frame) {
  switch (frame.operation) {
    case server_handshake:
    case client_handshake: {
      if (accepted_ != (frame.operation == client_handshake))
        return false; // each side sends its own handshake only
      auto node = node_id_prefix(frame.payload_prefix);
      if (!node)
        return false;
      if (node_.empty())
        node_ = *node;
      return *node == node_;
    }
    case routed_message:
      return role_ == peer_role::member;
    case monitor_message:
    case down_message:
      return role_ == peer_role::member || starts_with(frame.payload_prefix, node_);
    default:
      return true; // direct messages and heartbeats; CAF refuses the rest
  }
}

void connection_registry::open(const void* key, connection_rules rules) {
  std::lock_guard lock{mutex_};
  connections_.insert_or_assign(key, std::move(rules));
}

bool connection_registry::admit(const void* key, const frame_start& frame) {
  std::lock_guard lock{mutex_};
  auto it = connections_.find(key);
  return it == connections_.end() || it->second.admit(frame);
}

void connection_registry::close(const void* key) {
  std::lock_guard lock{mutex_};
  connections_.erase(key);
}

peer_role connection_registry::role_of(std::span<const unsigned char> node) const {
  std::lock_guard lock{mutex_};
  std::optional<peer_role> least;
  for (const auto& [key, rules] : connections_)
    if (rules.role() != peer_role::client && !rules.node().empty() &&
        std::ranges::equal(rules.node(), node))
      least = least ? std::min(*least, rules.role()) : rules.role();
  return least.value_or(peer_role::none);
}

} // namespace dref::net
