#include "basp_frames.hpp"

#include <algorithm>

namespace dref::net {

std::optional<std::uint32_t> basp_frames::feed(std::span<const unsigned char> bytes) {
  while (!refused_ && !bytes.empty()) {
    if (payload_left_ > 0) {
      auto skipped = std::min<std::uint64_t>(payload_left_, bytes.size());
      payload_left_ -= skipped;
      bytes = bytes.subspan(static_cast<std::size_t>(skipped));
      continue;
    }
    auto taken = std::min(header_size - header_have_, bytes.size());
    std::copy_n(bytes.begin(), taken, header_.begin() + static_cast<std::ptrdiff_t>(header_have_));
    header_have_ += taken;
    bytes = bytes.subspan(taken);
    if (header_have_ < header_size)
      break;
    header_have_ = 0;
    auto length = std::uint32_t{header_[4]} << 24 | std::uint32_t{header_[5]} << 16 |
                  std::uint32_t{header_[6]} << 8 | std::uint32_t{header_[7]};
    if (length > max_payload_)
      refused_ = length;
    else
      payload_left_ = length;
  }
  return refused_;
}

} // namespace dref::net
