#pragma once
// The first exchange on every connection between two dref nodes. A node that
// speaks another wire-format version, or belongs to another cluster, is
// refused here with a message that says so, before any other traffic.

#include "dref/protocol/codec.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dref::protocol {

struct hello {
  static constexpr std::string_view wire_name = "node.hello";

  std::uint8_t format_version = wire_format_version;
  std::string cluster_id;
  std::string node_id;
  std::string software_version; // for the operator's eyes only

  template <class Archive>
  void serialize(Archive& ar) {
    ar(format_version, cluster_id, node_id, software_version);
  }
  friend bool operator==(const hello&, const hello&) = default;
};

struct hello_reply {
  static constexpr std::string_view wire_name = "node.hello_reply";

  std::string node_id;
  std::optional<dref::error> refusal; // set when the connection is refused

  template <class Archive>
  void serialize(Archive& ar) {
    ar(node_id, refusal);
  }
  friend bool operator==(const hello_reply&, const hello_reply&) = default;
};

// Second on a link, once greeted: the store limits that decide what applying
// an entry does (a value over max_value_bytes is refused on one member and
// stored on another: their states diverge), each by its configuration name,
// and the named commands and queries the member runs (the registry's
// fingerprint, "command enqueue@1"): a command one member runs and another
// refuses diverges them too. Members agree on every one, or the link is
// refused, naming the difference.
struct limits_offer {
  static constexpr std::string_view wire_name = "node.limits_offer";

  std::string node_id;
  std::vector<std::pair<std::string, std::uint64_t>> limits; // sorted by name
  std::vector<std::string> commands{};                       // sorted

  template <class Archive>
  void serialize(Archive& ar) {
    ar(node_id, limits, commands);
  }
  friend bool operator==(const limits_offer&, const limits_offer&) = default;
};

// What `local` answers to an incoming `remote` hello.
hello_reply answer_hello(const hello& local, const hello& remote);

// What `local` answers to an incoming `remote` limits offer.
hello_reply answer_limits(const limits_offer& local, const limits_offer& remote);

} // namespace dref::protocol
