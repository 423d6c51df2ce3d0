#pragma once
// Encoding of wire types: every message that crosses a node boundary and
// every record stored on disk goes through encode()/decode() here.
//
// Frame: magic "dRf" | u8 wire format version | u32 type tag | body.
// The version byte lets a node refuse a peer that speaks another format with
// a clear error instead of misparsing it; the type tag catches bytes decoded
// as the wrong type. The body is cereal through protocol::writer.

#include "dref/protocol/archive.hpp"
#include "dref/protocol/result.hpp"

#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <concepts>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace dref::protocol {

// Bump on any incompatible change to any wire type.
// 2: store_read.after and list_page (read_kind::list), store_state.values_revision.
// 3: txn_write.session.
// 4: read_kind::query (store_read.command/args, query_answer),
//    limits_offer.commands.
// 5: store_read.stale.
inline constexpr std::uint8_t wire_format_version = 5;
inline constexpr std::size_t frame_header_size = 8;

// A wire type names itself (stable across releases, e.g. "raft.vote_request")
// and has a cereal serialize() member.
template <class T>
concept wire_type = requires(T& value, writer& out, reader& in) {
  { T::wire_name } -> std::convertible_to<std::string_view>;
  value.serialize(out);
  value.serialize(in);
};

// FNV-1a of the wire name: stable, and computed at compile time.
constexpr std::uint32_t type_tag(std::string_view wire_name) noexcept {
  std::uint32_t hash = 2166136261u;
  for (char c : wire_name) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 16777619u;
  }
  return hash;
}

// Body only, no frame: for values nested inside other records.
template <class T>
void encode_body(const T& value, std::string& out) {
  writer ar{out};
  ar(value);
}

template <class T>
result<T> decode_body(std::string_view bytes, std::string_view what) {
  try {
    T value{};
    reader ar{bytes};
    ar(value);
    if (ar.remaining() != 0)
      return error{errc::decode_failed, std::string{what} + ": " + std::to_string(ar.remaining()) +
                                            " unexpected trailing bytes"};
    return value;
  } catch (const std::exception& ex) {
    return error{errc::decode_failed, std::string{what} + ": " + ex.what()};
  }
}

// Frame helpers, shared by every wire type.
void write_frame_header(std::string& out, std::uint32_t tag);
result<std::string_view> check_frame(std::string_view bytes, std::uint32_t tag,
                                     std::string_view wire_name);

template <wire_type T>
std::string encode(const T& value) {
  std::string out;
  write_frame_header(out, type_tag(T::wire_name));
  encode_body(value, out);
  return out;
}

// encode(value).size(), without making the bytes: for size bounds on what
// is sent as it is.
template <wire_type T>
std::size_t encoded_size(const T& value) {
  writer ar{writer::counting_only{}};
  ar(value);
  return frame_header_size + ar.written();
}

// encode(value) into one allocation of the exact size, at the cost of a
// pass that only counts: for values of many megabytes (a store's snapshot),
// where growing the string copies them again and again.
template <wire_type T>
std::string encode_sized(const T& value) {
  std::string out;
  out.reserve(encoded_size(value));
  write_frame_header(out, type_tag(T::wire_name));
  encode_body(value, out);
  return out;
}

template <wire_type T>
result<T> decode(std::string_view bytes) {
  auto body = check_frame(bytes, type_tag(T::wire_name), T::wire_name);
  if (!body)
    return std::move(body).error();
  return decode_body<T>(*body, T::wire_name);
}

} // namespace dref::protocol
