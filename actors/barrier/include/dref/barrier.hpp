#pragma once
// dref::barrier: a cyclic barrier every node shares (Java's CyclicBarrier,
// etcd's double barrier): each round, every participant waits until
// `parties` of them have arrived, then all go on together, and the next
// round begins. On every backend.
//
// Broken rounds: a round breaks when a participant that arrived leaves
// before all arrived: its session lapsed (it crashed, or was paused past
// the TTL), or its own wait ran out. Every participant of that round then
// fails with errc::broken (the one whose wait ran out with errc::timeout),
// and the next arrivals begin a fresh round, as after a trip. A round that
// tripped stays tripped, whatever happens to its participants after. One
// gap: a participant that crashes between writing its value and counting
// itself (one round trip) has not arrived, and the others wait for a
// participant in its place, or until their own wait runs out. (Writing
// the value and the count in one txn would close it, but would make
// arrivals that come together race on the count instead of adding to it.)
//
// How it is kept (barrier_rule.hpp has the rule): the number of parties is
// an 8-byte integer at the barrier's id (the first make sets it, later ones
// join), the current round at "<id>/round", and per round g under
// "<id>/r<g>/": one value per participant owned by its session
// ("in/<holder>"), a count of arrivals ("arrived", add_i64) and, once
// decided, the verdict ("verdict": a transaction that also moves the round
// on). Records of round g are removed when round g+2 is decided.
//
// Blocking calls throw error_exception; the actor form answers in self's
// context.

#include "dref/context.hpp"
#include "dref/pending.hpp"
#include "dref/store/i64_codec.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace caf {
class scheduled_actor;
}

namespace dref {

namespace detail {
struct context_impl;
}

class barrier {
public:
  // At most this many parties per barrier.
  static constexpr std::int64_t max_parties = 1000;

  // The barrier `id` for `parties` participants (2..max_parties, else
  // invalid_argument), created when absent; an existing one is joined with
  // the parties it has.
  static barrier make(context& ctx, const dref::id& id, std::int64_t parties);

  const std::string& id() const noexcept { return id_; }
  std::int64_t parties() const noexcept { return parties_; }

  // Arrives and waits until every party arrived in this round: answers the
  // round (0, 1, ...). errc::broken when the round broke first,
  // errc::timeout when `wait` ran out (the round breaks for the others),
  // errc::session_expired when this context's session lapsed meanwhile.
  std::uint64_t arrive_and_wait() const { return try_arrive_and_wait(std::nullopt).value(); }
  result<std::uint64_t> try_arrive_and_wait(std::optional<std::chrono::milliseconds> wait) const;

  // --- from actors: the same, answered in self's context.
  template <class Self>
  pending<std::uint64_t> arrive_and_wait(Self* self,
                                         std::optional<std::chrono::milliseconds> wait = {}) const {
    auto me = *this;
    auto* scheduled = detail::as_scheduled(self);
    return pending<std::uint64_t>{
        [me, scheduled, wait](std::function<void(result<std::uint64_t>)> done) {
          me.async_arrive(scheduled, wait, std::move(done));
        }};
  }

private:
  barrier(std::shared_ptr<detail::context_impl> impl, std::string id, std::int64_t parties)
      : impl_(std::move(impl))
      , id_(std::move(id))
      , parties_(parties) {}

  void async_arrive(caf::scheduled_actor* self, std::optional<std::chrono::milliseconds> wait,
                    std::function<void(result<std::uint64_t>)> done) const;

  std::shared_ptr<detail::context_impl> impl_;
  std::string id_;
  std::int64_t parties_ = 0;
};

} // namespace dref
