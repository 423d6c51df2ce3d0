#pragma once
// How a ref<T> turns its value into bytes and back. Chosen per ref:
//   dref::binary_codec<T>  cereal binary (the default; compact, C++ only)
//   dref::json_codec<T>    cereal JSON (readable by other languages, drefctl;
//                          in dref/json_codec.hpp, which brings cereal's
//                          JSON archive along)
//   your own: any type with static encode(const T&) -> std::string and
//             decode(std::string_view) -> dref::result<T>.
// T needs a cereal serialize() (or load/save) for the two built-in codecs;
// cereal's headers for std types are included here.

#include "dref/protocol/codec.hpp"

#include <concepts>
#include <string>
#include <string_view>

namespace dref {

template <class Codec, class T>
concept codec_for = requires(const T& value, std::string_view bytes) {
  { Codec::encode(value) } -> std::same_as<std::string>;
  { Codec::decode(bytes) } -> std::same_as<result<T>>;
};

template <class T>
struct binary_codec {
  static std::string encode(const T& value) {
    std::string out;
    protocol::encode_body(value, out);
    return out;
  }
  static result<T> decode(std::string_view bytes) {
    auto decoded = protocol::decode_body<T>(bytes, "value");
    if (!decoded)
      return error{errc::wrong_type, "stored bytes are not a binary-encoded value of this "
                                     "type (" +
                                         decoded.error().message + ")"};
    return decoded;
  }
};

// The bytes as stored, for tools (drefctl) and values written by other
// programs or codecs.
struct raw_codec {
  static std::string encode(const std::string& value) { return value; }
  static result<std::string> decode(std::string_view bytes) { return std::string{bytes}; }
};

} // namespace dref
