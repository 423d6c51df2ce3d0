#pragma once
// Who is at the other end of each TLS connection CAF serves, and what that
// peer may send on it (docs/security.md, "Planes"). The role of a
// connection comes from where it was made and from the peer's certificate
// (tls_guard.cpp decides); a connection names its CAF node in its first
// BASP handshake, and from then on:
//   - an accepted connection never carries a server handshake, nor a dialed
//     one a client handshake, and a later handshake names the same node
//     (no taking over another node's route);
//   - only a member's connection carries routed messages (no relaying
//     between clients, no message under another node's name), and monitor
//     and down messages of other peers name the connection's own node as
//     their source.
// The node actor asks for a node's role before it takes Raft traffic or
// administration from it (role_of: the least among that node's
// connections). Pure but for the mutex.

#include "basp_frames.hpp"
#include "dref/net/transport.hpp"

#include <caf/node_id.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace dref::net {

// The bytes of the CAF node id a handshake payload starts with, as CAF
// 0.17.6 serialises it: an implementation atom (8 bytes) and, for its
// default ids, a process id and a 20-byte host hash. Nothing for no node,
// an id of another kind or a payload cut short.
std::optional<std::vector<unsigned char>> node_id_prefix(std::span<const unsigned char> payload);

// A node id as those bytes (what node_id_prefix reads); empty when CAF
// cannot serialise it.
std::vector<unsigned char> node_id_bytes(const caf::node_id& node);

// The rules of one connection.
class connection_rules {
public:
  connection_rules(bool accepted, peer_role role)
      : accepted_(accepted)
      , role_(role) {}

  // Whether the frame may pass; the first handshake names the node.
  bool admit(const frame_start& frame);

  peer_role role() const noexcept { return role_; }
  const std::vector<unsigned char>& node() const noexcept { return node_; }

private:
  bool accepted_;
  peer_role role_;
  std::vector<unsigned char> node_; // empty until the first handshake
};

// The rules of every open connection, by an opaque key (the SSL object).
class connection_registry {
public:
  void open(const void* key, connection_rules rules);
  // False for a frame the connection's rules refuse; true when unknown.
  bool admit(const void* key, const frame_start& frame);
  void close(const void* key);
  // The least role among the open connections that named this node, other
  // than clients' (a clients' port is served by an actor system of its own,
  // and a program may well reach both ports of a member); none when there
  // is none.
  peer_role role_of(std::span<const unsigned char> node) const;

private:
  mutable std::mutex mutex_;
  std::map<const void*, connection_rules> connections_;
};

} // namespace dref::net
