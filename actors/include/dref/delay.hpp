#pragma once
// dref::delay<T>: a value computed once in the whole cluster. get() on a
// handle with a body claims the delay for this context's session and runs
// the body if nobody else is running it; everyone else waits for the
// result. If the runner's session lapses before it completes, the next
// waiter with a body takes over. A handle without a body only waits.
//
// "Exactly once" holds for bodies that complete: a runner that dies midway
// may have run part of its body before another runner starts over.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "dref/codec.hpp"
#include "dref/protocol/result.hpp"

namespace dref {

namespace detail {
struct context_impl;
struct delay_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  // body: runs at most once per claim; nullptr: wait only.
  result<std::string> get(const std::function<std::string()>* body,
                          std::optional<std::chrono::milliseconds> wait) const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T>
class delay {
public:
  delay(detail::delay_core core, std::function<T()> body)
    : core_(std::move(core)), body_(std::move(body)) {}

  const std::string& id() const noexcept { return core_.id; }
  T get() const { return decode(run(std::nullopt).value()); }
  result<T> get_for(std::chrono::milliseconds wait) const {
    auto bytes = run(wait);
    if (!bytes)
      return std::move(bytes).error();
    return Codec::decode(*bytes);
  }

private:
  result<std::string> run(std::optional<std::chrono::milliseconds> wait) const {
    if (!body_)
      return core_.get(nullptr, wait);
    std::function<std::string()> encoded = [this] { return Codec::encode(body_()); };
    return core_.get(&encoded, wait);
  }
  T decode(const std::string& bytes) const { return Codec::decode(bytes).value(); }

  detail::delay_core core_;
  std::function<T()> body_;
};

} // namespace dref
