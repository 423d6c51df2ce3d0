#pragma once
// dref::topic<T>: ordered publish/subscribe through the backend. Every
// message gets a sequence number (1, 2, ...); subscribers see messages in
// that order without gaps. subscribe_from(seq) first replays the retained
// history from seq, then continues live; a seq older than the topic's
// retention fails with errc::compacted (the message names the first
// available seq).

#include <cstdint>
#include <functional>
#include <string>

#include "dref/codec.hpp"
#include "dref/protocol/result.hpp"
#include "dref/subscription.hpp"

namespace dref {

namespace detail {
struct context_impl;
struct topic_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  result<std::uint64_t> publish(std::string bytes) const;
  // from_seq 0: only messages published from now on.
  result<subscription> subscribe(std::uint64_t from_seq,
                                 std::function<void(std::uint64_t, const std::string&)> f) const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T>
class topic {
public:
  explicit topic(detail::topic_core core) : core_(std::move(core)) {}

  const std::string& id() const noexcept { return core_.id; }
  // Returns the message's sequence number.
  std::uint64_t publish(const T& message) const {
    return core_.publish(Codec::encode(message)).value();
  }
  // f(seq, message), one call at a time, in order. Messages this codec
  // cannot decode are skipped.
  template <class F>
  [[nodiscard]] subscription subscribe(F f) const {
    return subscribe_from(0, std::move(f));
  }
  template <class F>
  [[nodiscard]] subscription subscribe_from(std::uint64_t seq, F f) const {
    return core_
      .subscribe(seq,
                 [f = std::move(f)](std::uint64_t at, const std::string& bytes) mutable {
                   if (auto message = Codec::decode(bytes))
                     f(at, static_cast<const T&>(*message));
                 })
      .value();
  }

private:
  detail::topic_core core_;
};

} // namespace dref
