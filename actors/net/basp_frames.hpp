#pragma once
// Follows the frames of one CAF 0.17.6 BASP byte stream as it is read, so
// that a frame can be refused before CAF sees its header. A frame is a
// 32-byte header (operation, two padding bytes, flags, payload length as a
// big-endian uint32 at offset 4, operation data, source and destination
// actor) followed by the payload. Two reasons to refuse one:
//  - its header announces a payload over a bound: CAF trusts the length and
//    allocates (and zero-fills) a buffer of that size at once, so one peer
//    could make a process take gigabytes (issue 18);
//  - the caller's inspection of its operation and the start of its payload
//    says no (peer_roles.hpp: who may send what on which connection).
// Pure.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

namespace dref::net {

// CAF 0.17.6's BASP operations, a frame's first byte
// (caf/io/basp/message_type.hpp).
enum basp_operation : std::uint8_t {
  server_handshake = 0,
  client_handshake = 1,
  direct_message = 2,
  routed_message = 3,
  monitor_message = 4,
  down_message = 5,
  heartbeat = 6,
};

// "routed message", ...; "unknown operation" for any other byte.
const char* basp_operation_name(std::uint8_t operation);

// The start of a frame, as far as it was read: its operation and the first
// min(payload length, prefix_size) bytes of its payload.
struct frame_start {
  std::uint8_t operation = 0;
  std::uint32_t payload_length = 0;
  std::span<const unsigned char> payload_prefix;
};

struct frame_refusal {
  enum kind_type { oversized, forbidden } kind = oversized;
  std::uint32_t announced = 0; // payload length
  std::uint8_t operation = 0;
};

class basp_frames {
public:
  static constexpr std::size_t header_size = 32;
  static constexpr std::size_t prefix_size = 64;
  // False refuses the frame.
  using inspection = std::function<bool(const frame_start&)>;

  explicit basp_frames(std::uint32_t max_payload)
      : max_payload_(max_payload) {}

  // Takes the next bytes of the stream and shows each frame's start to
  // `inspect` (when given) as soon as it was read. Returns the first
  // refusal; the stream is then broken for good and every later call
  // returns it again.
  std::optional<frame_refusal> feed(std::span<const unsigned char> bytes,
                                    const inspection& inspect = {});

  bool broken() const noexcept { return refused_.has_value(); }
  std::uint32_t max_payload() const noexcept { return max_payload_; }

private:
  void inspect_frame(const inspection& inspect);

  std::uint32_t max_payload_;
  std::array<unsigned char, header_size> header_{};
  std::size_t header_have_ = 0;
  std::array<unsigned char, prefix_size> prefix_{};
  std::size_t prefix_have_ = 0;
  std::size_t prefix_want_ = 0;
  std::uint64_t payload_left_ = 0; // after the prefix
  std::optional<frame_refusal> refused_;
};

} // namespace dref::net
