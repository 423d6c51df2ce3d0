#pragma once
// Follows the frames of one CAF 0.17.6 BASP byte stream as it is read, to
// refuse a frame whose header announces a payload larger than a bound before
// CAF sees that header: CAF trusts the length and allocates (and zero-fills)
// a buffer of that size at once, so one peer could make a process take
// gigabytes (issue 18). A frame is a 32-byte header (operation, two padding
// bytes, flags, payload length as a big-endian uint32 at offset 4, operation
// data, source and destination actor) followed by the payload. Pure.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace dref::net {

class basp_frames {
public:
  static constexpr std::size_t header_size = 32;

  explicit basp_frames(std::uint32_t max_payload)
      : max_payload_(max_payload) {}

  // Takes the next bytes of the stream. Returns the announced payload length
  // of the first header in them that exceeds the bound; the stream is then
  // broken for good and every later call returns it again.
  std::optional<std::uint32_t> feed(std::span<const unsigned char> bytes);

  bool broken() const noexcept { return refused_.has_value(); }
  std::uint32_t max_payload() const noexcept { return max_payload_; }

private:
  std::uint32_t max_payload_;
  std::array<unsigned char, header_size> header_{};
  std::size_t header_have_ = 0;
  std::uint64_t payload_left_ = 0;
  std::optional<std::uint32_t> refused_;
};

} // namespace dref::net
