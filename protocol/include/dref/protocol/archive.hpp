#pragma once
// Cereal archives for dref's wire and disk format: little-endian binary,
// written straight into a std::string, read from a bounded byte view.
//
// Why not cereal's PortableBinary archives: their reader trusts length
// prefixes, so a garbage length makes it allocate gigabytes before it finds
// out the input is short. `reader` checks every length against the bytes that
// remain before anything is allocated, and never reads past the end.
//
// Containers are loaded by our own functions below, not cereal's: cereal
// sizes a vector or deque from its count before reading an element, so a
// count that merely fits the remaining bytes still allocates sizeof(T) per
// byte (72 for a raft_log_entry); and it accepts map and set keys in any
// order and duplicated, so one value had many encodings.

#include <bit>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace dref::protocol {

class writer : public cereal::OutputArchive<writer, cereal::AllowEmptyClassElision> {
public:
  explicit writer(std::string& out)
      : cereal::OutputArchive<writer, cereal::AllowEmptyClassElision>(this)
      , out_(&out) {}

  // A writer that only counts what it would write (encoded_size()).
  struct counting_only {};
  explicit writer(counting_only)
      : cereal::OutputArchive<writer, cereal::AllowEmptyClassElision>(this)
      , out_(nullptr) {}

  template <std::size_t ElementSize>
  void save_binary(const void* data, std::size_t size) {
    written_ += size;
    if (!out_)
      return;
    const char* bytes = static_cast<const char*>(data);
    if constexpr (std::endian::native == std::endian::little || ElementSize == 1) {
      out_->append(bytes, size);
    } else {
      for (std::size_t i = 0; i < size; i += ElementSize)
        for (std::size_t j = 0; j < ElementSize; ++j)
          out_->push_back(bytes[i + ElementSize - 1 - j]);
    }
  }

  std::size_t written() const noexcept { return written_; }

private:
  std::string* out_;
  std::size_t written_ = 0;
};

class reader : public cereal::InputArchive<reader, cereal::AllowEmptyClassElision> {
public:
  explicit reader(std::string_view in)
      : cereal::InputArchive<reader, cereal::AllowEmptyClassElision>(this)
      , in_(in) {}

  template <std::size_t ElementSize>
  void load_binary(void* data, std::size_t size) {
    if (size > in_.size())
      throw cereal::Exception("input ends " + std::to_string(size - in_.size()) +
                              " bytes too early");
    if (size == 0)
      return; // data may be null for an empty container
    char* bytes = static_cast<char*>(data);
    if constexpr (std::endian::native == std::endian::little || ElementSize == 1) {
      std::memcpy(bytes, in_.data(), size);
    } else {
      for (std::size_t i = 0; i < size; i += ElementSize)
        for (std::size_t j = 0; j < ElementSize; ++j)
          bytes[i + ElementSize - 1 - j] = in_[i + j];
    }
    in_.remove_prefix(size);
  }

  // A container of n elements needs at least n * element_bytes bytes (our
  // wire types never encode an element in zero bytes), so a larger count is
  // garbage.
  void check_count(std::uint64_t count, std::size_t element_bytes = 1) const {
    if (count > in_.size() / element_bytes)
      throw cereal::Exception("length prefix " + std::to_string(count) + " exceeds the " +
                              std::to_string(in_.size()) + " bytes that remain");
  }

  std::size_t remaining() const noexcept { return in_.size(); }

private:
  std::string_view in_;
};

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(writer& ar, const T& value) {
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559);
  ar.template save_binary<sizeof(T)>(&value, sizeof(T));
}

template <class T>
requires(std::is_arithmetic_v<T> &&
         !std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(reader& ar, T& value) {
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559);
  ar.template load_binary<sizeof(T)>(&value, sizeof(T));
}

// A bool is one byte, 0 or 1; anything else is garbage, not "true".
inline void CEREAL_LOAD_FUNCTION_NAME(reader& ar, bool& value) {
  std::uint8_t byte = 0;
  ar.template load_binary<1>(&byte, 1);
  if (byte > 1)
    throw cereal::Exception("bool byte is " + std::to_string(byte) + ", not 0 or 1");
  value = byte == 1;
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(writer& ar, const cereal::NameValuePair<T>& pair) {
  ar(pair.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, cereal::NameValuePair<T>& pair) {
  ar(pair.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(writer& ar, const cereal::SizeTag<T>& tag) {
  std::uint64_t size = static_cast<std::uint64_t>(tag.size);
  ar(size);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, cereal::SizeTag<T>& tag) {
  std::uint64_t size = 0;
  ar(size);
  ar.check_count(size);
  tag.size = static_cast<std::remove_reference_t<T>>(size);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(writer& ar, const cereal::BinaryData<T>& data) {
  using element = std::remove_pointer_t<T>;
  ar.template save_binary<sizeof(element)>(data.data, static_cast<std::size_t>(data.size));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, cereal::BinaryData<T>& data) {
  using element = std::remove_pointer_t<T>;
  ar.template load_binary<sizeof(element)>(data.data, static_cast<std::size_t>(data.size));
}

// --- containers -------------------------------------------------------------

namespace container_loading {

inline std::size_t load_count(reader& ar) {
  std::uint64_t count = 0;
  ar(count);
  ar.check_count(count);
  return static_cast<std::size_t>(count);
}

// Elements one by one: what is allocated grows with what was read, never
// with what the count promised.
template <class Container>
void load_elements(reader& ar, Container& out) {
  out.clear();
  for (std::size_t i = load_count(ar); i > 0; --i)
    ar(out.emplace_back());
}

// Encoders write ordered containers in key order without duplicates; any
// other order is not an encoding of any value.
template <class Less, class Key>
void check_after(const Less& less, const Key& last, const Key& key) {
  if (!less(last, key))
    throw cereal::Exception("keys out of order or repeated");
}

} // namespace container_loading

template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, std::vector<T, A>& out) {
  static_assert(!std::is_same_v<T, bool>, "vector<bool> is not a wire type");
  if constexpr (std::is_arithmetic_v<T>) {
    // Fixed-size elements: the count is checked against the bytes they take.
    std::uint64_t count = 0;
    ar(count);
    ar.check_count(count, sizeof(T));
    out.resize(static_cast<std::size_t>(count));
    ar.template load_binary<sizeof(T)>(out.data(), out.size() * sizeof(T));
  } else {
    container_loading::load_elements(ar, out);
  }
}

template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, std::deque<T, A>& out) {
  container_loading::load_elements(ar, out);
}

template <class K, class V, class C, class A>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, std::map<K, V, C, A>& out) {
  out.clear();
  for (std::size_t i = container_loading::load_count(ar); i > 0; --i) {
    K key{};
    ar(key);
    if (!out.empty())
      container_loading::check_after(out.key_comp(), std::prev(out.end())->first, key);
    auto at = out.emplace_hint(out.end(), std::piecewise_construct,
                               std::forward_as_tuple(std::move(key)), std::forward_as_tuple());
    ar(at->second);
  }
}

template <class K, class C, class A>
void CEREAL_LOAD_FUNCTION_NAME(reader& ar, std::set<K, C, A>& out) {
  out.clear();
  for (std::size_t i = container_loading::load_count(ar); i > 0; --i) {
    K key{};
    ar(key);
    if (!out.empty())
      container_loading::check_after(out.key_comp(), *std::prev(out.end()), key);
    out.emplace_hint(out.end(), std::move(key));
  }
}

} // namespace dref::protocol

CEREAL_REGISTER_ARCHIVE(dref::protocol::writer)
CEREAL_REGISTER_ARCHIVE(dref::protocol::reader)
CEREAL_SETUP_ARCHIVE_TRAITS(dref::protocol::reader, dref::protocol::writer)
