#pragma once
// dref::topic<T>: ordered publish/subscribe through the backend. Every
// message gets a sequence number (1, 2, ...); subscribers see messages in
// that order without gaps. subscribe_from(seq) first replays the retained
// history from seq, then continues live; a seq older than the topic's
// retention fails with errc::compacted (the message names the first
// available seq).
//
// From an actor, pass `self` first: t.publish(self, m) -> pending<seq>;
// t.subscribe(self, f) and t.subscribe_from(self, seq, f) -> pending of the
// subscription, with f(seq, message) called in the actor's own context, one
// message at a time, in order, without gaps. subscribe_from answers once
// the replay has been handed to f; keep the subscription (e.g. in the
// actor's state) for as long as f should run.

#include "dref/codec.hpp"
#include "dref/pending.hpp"
#include "dref/protocol/result.hpp"
#include "dref/subscription.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dref {

// What try_read answers: the messages read, and the topic's bounds then.
template <class T>
struct topic_history {
  std::uint64_t first_seq = 1; // the oldest retained (next_seq when none is)
  std::uint64_t next_seq = 1;  // the seq the next publish gets
  std::vector<std::pair<std::uint64_t, T>> messages;
};

namespace detail {
struct context_impl;
struct topic_core {
  std::shared_ptr<context_impl> ctx;
  std::string id;
  result<std::uint64_t> publish(std::string bytes) const;
  result<topic_history<std::string>> read(std::uint64_t from_seq, std::uint32_t limit) const;
  // from_seq 0: only messages published from now on.
  result<subscription> subscribe(std::uint64_t from_seq,
                                 std::function<void(std::uint64_t, const std::string&)> f) const;
  // From an actor (topic_async.cpp): done and f run in self's context.
  void async_publish(caf::scheduled_actor* self, std::string bytes,
                     std::function<void(result<std::uint64_t>)> done) const;
  void async_subscribe(caf::scheduled_actor* self, std::uint64_t from_seq,
                       std::function<void(std::uint64_t, const std::string&)> f,
                       std::function<void(result<subscription>)> done) const;
};
} // namespace detail

template <class T, class Codec = binary_codec<T>>
requires codec_for<Codec, T>
class topic {
public:
  explicit topic(detail::topic_core core)
      : core_(std::move(core)) {}

  const std::string& id() const noexcept { return core_.id; }
  // Returns the message's sequence number.
  std::uint64_t publish(const T& message) const {
    return core_.publish(Codec::encode(message)).value();
  }
  // publish without exceptions: the error as a result.
  result<std::uint64_t> try_publish(const T& message) const {
    return core_.publish(Codec::encode(message));
  }
  // Up to `limit` retained messages from `seq` on (0: from the oldest
  // retained), read linearizably like a ref's get. errc::compacted when
  // seq is older than the retention (the message names the first
  // available seq). Messages this codec cannot decode are skipped.
  result<topic_history<T>> try_read(std::uint64_t seq, std::uint32_t limit) const {
    auto raw = core_.read(seq, limit);
    if (!raw)
      return std::move(raw).error();
    topic_history<T> out{raw->first_seq, raw->next_seq, {}};
    for (auto& [at, bytes] : raw->messages)
      if (auto message = Codec::decode(bytes))
        out.messages.emplace_back(at, std::move(*message));
    return out;
  }

  // f(seq, message), one call at a time, in order. Messages this codec
  // cannot decode are skipped.
  template <class F>
  [[nodiscard]] subscription subscribe(F f) const {
    return subscribe_from(0, std::move(f));
  }
  template <class F>
  [[nodiscard]] subscription subscribe_from(std::uint64_t seq, F f) const {
    return core_.subscribe(seq, decoding(std::move(f))).value();
  }

  // --- from actors (Self: any CAF scheduled actor).
  template <class Self>
  pending<std::uint64_t> publish(Self* self, const T& message) const {
    auto core = core_;
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::uint64_t>{[core, scheduled, bytes = Codec::encode(message)](
                                      std::function<void(result<std::uint64_t>)> done) {
      core.async_publish(scheduled, bytes, std::move(done));
    }};
  }
  template <class Self, class F>
  pending<subscription> subscribe(Self* self, F f) const {
    return subscribe_from(self, 0, std::move(f));
  }
  template <class Self, class F>
  pending<subscription> subscribe_from(Self* self, std::uint64_t seq, F f) const {
    auto core = core_;
    auto* scheduled = detail::as_scheduled(self);
    std::function<void(std::uint64_t, const std::string&)> decoded = decoding(std::move(f));
    return pending<subscription>{
        [core, scheduled, seq, decoded](std::function<void(result<subscription>)> done) {
          core.async_subscribe(scheduled, seq, decoded, std::move(done));
        }};
  }

private:
  template <class F>
  static auto decoding(F f) {
    return [f = std::move(f)](std::uint64_t at, const std::string& bytes) mutable {
      if (auto message = Codec::decode(bytes))
        f(at, static_cast<const T&>(*message));
    };
  }

  detail::topic_core core_;
};

} // namespace dref
