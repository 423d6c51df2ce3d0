#pragma once
// dref::promise<T>: delivered once, awaited anywhere in the cluster. The
// first deliver wins; later ones change nothing and return false.

#include <chrono>
#include <optional>
#include <string>

#include "dref/codec.hpp"
#include "dref/protocol/result.hpp"

namespace dref {

namespace detail {
struct context_impl;
struct promise_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  // true: this call delivered; false: it was delivered before.
  result<bool> deliver(std::string bytes) const;
  // The delivered bytes, waiting up to `wait` (nullopt: forever);
  // errc::timeout when the wait ends first.
  result<std::string> await(std::optional<std::chrono::milliseconds> wait) const;
  result<std::optional<std::string>> peek() const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T>
class promise {
public:
  explicit promise(detail::promise_core core) : core_(std::move(core)) {}

  const std::string& id() const noexcept { return core_.id; }
  bool deliver(const T& value) const { return core_.deliver(Codec::encode(value)).value(); }
  T get() const { return decode(core_.await(std::nullopt).value()); }
  // errc::timeout (as a result error) when nothing was delivered in time.
  result<T> get_for(std::chrono::milliseconds wait) const {
    auto bytes = core_.await(wait);
    if (!bytes)
      return std::move(bytes).error();
    return Codec::decode(*bytes);
  }
  bool realized() const { return core_.peek().value().has_value(); }

private:
  T decode(const std::string& bytes) const { return Codec::decode(bytes).value(); }
  detail::promise_core core_;
};

} // namespace dref
