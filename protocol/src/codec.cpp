#include "dref/protocol/codec.hpp"

namespace dref::protocol {

namespace {

constexpr char frame_magic[3] = {'d', 'R', 'f'};

} // namespace

void write_frame_header(std::string& out, std::uint32_t tag) {
  out.append(frame_magic, sizeof(frame_magic));
  out.push_back(static_cast<char>(wire_format_version));
  writer ar{out};
  ar(tag);
}

result<std::string_view> check_frame(std::string_view bytes, std::uint32_t tag,
                                     std::string_view wire_name) {
  std::string what{wire_name};
  if (bytes.size() < frame_header_size)
    return error{errc::decode_failed, what + ": frame of " + std::to_string(bytes.size()) +
                                          " bytes is shorter than its 8-byte header"};
  if (bytes.substr(0, sizeof(frame_magic)) != std::string_view{frame_magic, sizeof(frame_magic)})
    return error{errc::decode_failed, what + ": not a dref frame (bad magic)"};
  auto version = static_cast<std::uint8_t>(bytes[3]);
  if (version != wire_format_version)
    return error{errc::wire_version_mismatch, what + ": peer speaks wire format version " +
                                                  std::to_string(version) + ", this node speaks " +
                                                  std::to_string(wire_format_version) +
                                                  "; run the same dref release on every node"};
  std::uint32_t found_tag = 0;
  reader ar{bytes.substr(4, 4)};
  ar(found_tag);
  if (found_tag != tag)
    return error{errc::decode_failed, what + ": frame holds another message type (tag " +
                                          std::to_string(found_tag) + ")"};
  return bytes.substr(frame_header_size);
}

} // namespace dref::protocol
