#include "basp_frames.hpp"

#include <algorithm>
#include <iterator>

namespace dref::net {

namespace {

std::uint32_t payload_length_of(const std::array<unsigned char, basp_frames::header_size>& h) {
  return std::uint32_t{h[4]} << 24 | std::uint32_t{h[5]} << 16 | std::uint32_t{h[6]} << 8 |
         std::uint32_t{h[7]};
}

} // namespace

const char* basp_operation_name(std::uint8_t operation) {
  static constexpr const char* names[] = {"server handshake", "client handshake", "direct message",
                                          "routed message",   "monitor message",  "down message",
                                          "heartbeat"};
  return operation < std::size(names) ? names[operation] : "unknown operation";
}

void basp_frames::inspect_frame(const inspection& inspect) {
  frame_start start{header_[0], payload_length_of(header_),
                    std::span{prefix_.data(), prefix_want_}};
  if (inspect && !inspect(start))
    refused_ = frame_refusal{frame_refusal::forbidden, start.payload_length, start.operation};
  prefix_want_ = prefix_have_ = 0;
}

std::optional<frame_refusal> basp_frames::feed(std::span<const unsigned char> bytes,
                                               const inspection& inspect) {
  while (!refused_ && !bytes.empty()) {
    if (prefix_have_ < prefix_want_) {
      auto taken = std::min(prefix_want_ - prefix_have_, bytes.size());
      std::copy_n(bytes.begin(), taken,
                  prefix_.begin() + static_cast<std::ptrdiff_t>(prefix_have_));
      prefix_have_ += taken;
      bytes = bytes.subspan(taken);
      if (prefix_have_ == prefix_want_)
        inspect_frame(inspect);
      continue;
    }
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
    auto length = payload_length_of(header_);
    if (length > max_payload_) {
      refused_ = frame_refusal{frame_refusal::oversized, length, header_[0]};
      break;
    }
    prefix_want_ = std::min<std::size_t>(length, prefix_size);
    prefix_have_ = 0;
    payload_left_ = length - prefix_want_;
    if (prefix_want_ == 0)
      inspect_frame(inspect);
  }
  return refused_;
}

} // namespace dref::net
