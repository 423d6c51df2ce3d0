#pragma once
// dref::json_codec<T>: a ref's value as cereal JSON ({"value": ...}),
// readable by other languages and by drefctl. Kept out of codec.hpp so that
// only the programs that use it compile cereal's JSON archive (RapidJSON).

#include "dref/codec.hpp"

#include <cereal/archives/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

namespace dref {

template <class T>
struct json_codec {
  static std::string encode(const T& value) {
    std::ostringstream out;
    {
      cereal::JSONOutputArchive ar{out, cereal::JSONOutputArchive::Options::NoIndent()};
      ar(cereal::make_nvp("value", value));
    }
    return out.str();
  }
  static result<T> decode(std::string_view bytes) {
    try {
      std::istringstream in{std::string{bytes}};
      cereal::JSONInputArchive ar{in};
      T value{};
      ar(cereal::make_nvp("value", value));
      return value;
    } catch (const std::exception& ex) {
      return error{errc::wrong_type,
                   std::string{"stored bytes are not JSON of this type: "} + ex.what()};
    }
  }
};

} // namespace dref
