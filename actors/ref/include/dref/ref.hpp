#pragma once
// dref::ref<T>: a distributed, strongly consistent reference to a T.
//
// Blocking API for non-actor code. Errors are thrown as dref::error_exception
// (carrying a dref::error with a code such as errc::not_found or
// errc::timeout); the try_* variants return dref::result<T> instead.
//
// update(f) and friends read the value, run f locally and commit with a
// compare-and-set at the version they read, retrying on conflict with a
// growing, jittered pause. f must be pure: it may run more than once. After
// the context's max_update_attempts lost races, errc::retries_exhausted.
// Values of 4 KiB or more travel as deltas both ways: the first update
// reads the value and starts this context's copy of it (the one get_cached
// answers from), later updates start from the copy, and writes (set,
// update, try_set_at_version) ship a patch against it when that is
// smaller (docs/deltas.md).
//
// Side effects belong in update_effect / get_and_update_effect: f returns
// the next value together with an effect, and only the effect of the attempt
// that committed runs, once, after its commit. When the outcome of the
// commit is unknown (errc::timeout, the backend went away) the effect does
// not run: effects run at most once, and exactly once for every update that
// returned normally.
//
// get_cached() answers from this context's copy of the value, kept current
// by a watch: no round trip, never older than what this context saw before
// (reads are monotonic), but possibly behind other nodes' latest writes.
// It always shows this context's own writes (until the watch brings one, it
// reads instead). get() is the linearizable read.
//
// From an actor (event_based_actor, stateful or typed, any actor that CAF
// schedules), pass `self` first: r.get(self), r.set(self, v),
// r.update_and_get(self, f) and friends return a dref::pending<R>; its
// .then(on_value, on_error) issues the request and calls one of the two in
// the actor's own context later, never blocking the scheduler. Updates from
// actors of one context take turns in that context's ref actor, so only
// other nodes' writers race them.
//
// Fenced writes: set, try_set_at_version, compare_and_set, update,
// update_and_get and remove, blocking or from actors, also take a
// dref::fence (a lock_guard converts): the write then commits only while
// that lock grant is still current, else errc::not_holder and nothing
// changes (see fence.hpp; the contract is above protocol::cmd_fenced).

#include "dref/change.hpp"
#include "dref/codec.hpp"
#include "dref/commands.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/detail/typed_commands.hpp"
#include "dref/detail/typed_ref_base.hpp"
#include "dref/fence.hpp"
#include "dref/pending.hpp"
#include "dref/subscription.hpp"
#include "dref/versioned.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace dref {

class txn;

template <class T, class Codec = binary_codec<T>>
requires codec_for<Codec, T>
class ref : private detail::typed_ref_base<T, Codec>,
            public detail::named_calls<ref<T, Codec>, T, Codec> {
  using base = detail::typed_ref_base<T, Codec>;
  using base::async_owned_write, base::core_, base::decode, base::decode_result,
      base::always_writes, base::exhausted, base::owned_write, base::validate, base::validate_with,
      base::validator_;

public:
  using value_type = T;
  using typename base::validator;

  ref(detail::ref_core core)
      : base(std::move(core)) {}

  const std::string& id() const noexcept { return core_.id(); }

  T get() const { return try_get_versioned().value().value; }
  versioned<T> get_versioned() const { return try_get_versioned().value(); }
  result<T> try_get(detail::timeout_ms timeout = {}) const {
    auto got = try_get_versioned(timeout);
    if (!got)
      return std::move(got).error();
    return std::move(got->value);
  }
  result<versioned<T>> try_get_versioned(detail::timeout_ms timeout = {}) const {
    auto state = core_.read(timeout);
    if (!state)
      return std::move(state).error();
    auto value = decode_result(id(), state->value);
    if (!value)
      return std::move(value).error();
    return versioned<T>{std::move(*value), state->version};
  }

  // The value as this context last saw it (see the top of this file). The
  // first call per id and context subscribes and reads (blocking); later
  // calls only decode. errc::not_found when the id does not exist.
  T get_cached() const { return try_get_cached().value(); }
  result<T> try_get_cached(detail::timeout_ms timeout = {}) const {
    auto state = core_.cached(timeout);
    if (!state)
      return std::move(state).error();
    return decode_result(id(), state->value);
  }

  // Returns the new version.
  std::uint64_t set(const T& value) const { return try_set(value).value(); }
  result<std::uint64_t> try_set(const T& value, detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(value); !ok)
      return ok.error();
    return core_.set(Codec::encode(value), timeout);
  }

  // Writes desired only if the ref is still at expected_version (the
  // version a get_versioned returned); errc::version_conflict otherwise.
  // Returns the new version.
  result<std::uint64_t> try_set_at_version(std::uint64_t expected_version, const T& desired,
                                           detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(desired); !ok)
      return ok.error();
    return core_.cas(expected_version, nullptr, Codec::encode(desired), timeout);
  }

  // --- fenced writes (see the top of this file and fence.hpp): as above,
  // committed only while guard's grant is current; errc::not_holder else.
  std::uint64_t set(const T& value, const fence& guard) const {
    return try_set(value, guard).value();
  }
  result<std::uint64_t> try_set(const T& value, const fence& guard,
                                detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(value); !ok)
      return ok.error();
    return core_.set(Codec::encode(value), timeout, &guard.wire());
  }
  result<std::uint64_t> try_set_at_version(std::uint64_t expected_version, const T& desired,
                                           const fence& guard,
                                           detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(desired); !ok)
      return ok.error();
    return core_.cas(expected_version, nullptr, Codec::encode(desired), timeout, &guard.wire());
  }
  bool compare_and_set(const T& expected, const T& desired, const fence& guard) const {
    return compare_and_set_under(expected, desired, &guard.wire());
  }
  template <class F>
  void update(F&& f, const fence& guard) const {
    (void)commit(std::forward<F>(f), &guard.wire());
  }
  template <class F>
  T update_and_get(F&& f, const fence& guard) const {
    return commit(std::forward<F>(f), &guard.wire()).second;
  }

  // Removes the value: true when there was one (a watcher sees it go).
  bool remove() const { return try_remove().value(); }
  result<bool> try_remove(detail::timeout_ms timeout = {}) const {
    return removed(core_.remove(timeout));
  }
  bool remove(const fence& guard) const { return try_remove(guard).value(); }
  result<bool> try_remove(const fence& guard, detail::timeout_ms timeout = {}) const {
    return removed(core_.remove(timeout, &guard.wire()));
  }

  // try_run, command, query, stale_query: detail/typed_commands.hpp.

  // Writes desired only if the current value equals expected.
  bool compare_and_set(const T& expected, const T& desired) const {
    return compare_and_set_under(expected, desired, nullptr);
  }

private:
  bool compare_and_set_under(const T& expected, const T& desired,
                             const protocol::write_fence* guard) const {
    if (auto ok = validate(desired); !ok)
      throw error_exception(ok.error());
    auto turn = core_.local_update_turn();
    for (int attempt = 0; attempt < core_.max_update_attempts(); ++attempt) {
      auto state = core_.read().value();
      auto current = decode(state.value);
      if (!(current == expected))
        return false;
      auto written = core_.cas(state.version, &state.value, Codec::encode(desired), {}, guard);
      if (written)
        return true;
      if (written.error().code != errc::version_conflict)
        throw error_exception(written.error());
      core_.backoff(attempt);
    }
    throw error_exception(exhausted());
  }

  static result<bool> removed(result<protocol::res_removed> got) {
    if (!got)
      return std::move(got).error();
    return got->existed;
  }

public:
  template <class F>
  void update(F&& f) const {
    (void)commit(std::forward<F>(f));
  }
  template <class F>
  T update_and_get(F&& f) const {
    return commit(std::forward<F>(f)).second;
  }
  template <class F>
  T get_and_update(F&& f) const {
    return commit(std::forward<F>(f)).first;
  }
  // f(old) returns std::pair<B, T>: stores the T, returns the B.
  template <class F>
  auto modify(F&& f) const {
    using out_type = std::invoke_result_t<F&, const T&>;
    std::optional<typename out_type::first_type> answer;
    (void)commit([&](const T& old) {
      auto [b, next] = f(old);
      answer = std::move(b);
      return std::move(next);
    });
    return std::move(*answer);
  }

  // f(old) returns with_effect<T>{next, effect}; effect runs once after next
  // is committed. Returns the committed value.
  template <class F>
  T update_effect(F&& f) const {
    return commit_with_effect(std::forward<F>(f)).second;
  }
  // Like update_effect; returns the value it replaced.
  template <class F>
  T get_and_update_effect(F&& f) const {
    return commit_with_effect(std::forward<F>(f)).first;
  }

  // --- from actors: see the top of this file. Self is any CAF scheduled
  // actor type (event_based_actor, stateful_actor<S>, typed actors).
  template <class Self>
  pending<T> get(Self* self, detail::timeout_ms timeout = {}) const {
    auto* scheduled = detail::as_scheduled(self);
    return pending<T>{[core = core_, scheduled, timeout](std::function<void(result<T>)> done) {
      core.async_read(scheduled, timeout,
                      [done = std::move(done), id = core.id()](result<protocol::value_state> got) {
                        if (!got)
                          return done(std::move(got).error());
                        done(decode_result(id, got->value));
                      });
    }};
  }
  template <class Self>
  pending<std::uint64_t> set(Self* self, const T& value, detail::timeout_ms timeout = {}) const {
    return async_set_under(detail::as_scheduled(self), value, timeout, std::nullopt);
  }
  template <class Self, class F>
  pending<T> update_and_get(Self* self, F f, detail::timeout_ms timeout = {}) const {
    return async_commit<T>(self, always_writes(std::move(f)), timeout,
                           [](const std::string& id, const detail::byte_update_outcome& done) {
                             return decode_result(id, done.new_bytes);
                           });
  }
  // Fenced writes from actors: errc::not_holder unless guard's grant is
  // current when the write commits.
  template <class Self>
  pending<std::uint64_t> set(Self* self, const T& value, const fence& guard,
                             detail::timeout_ms timeout = {}) const {
    return async_set_under(detail::as_scheduled(self), value, timeout, guard.wire());
  }
  template <class Self, class F>
  pending<T> update_and_get(Self* self, F f, const fence& guard,
                            detail::timeout_ms timeout = {}) const {
    return async_commit<T>(
        self, always_writes(std::move(f)), timeout,
        [](const std::string& id, const detail::byte_update_outcome& done) {
          return decode_result(id, done.new_bytes);
        },
        guard.wire());
  }
  template <class Self>
  pending<bool> compare_and_set(Self* self, const T& expected, const T& desired, const fence& guard,
                                detail::timeout_ms timeout = {}) const {
    return async_compare_and_set(self, expected, desired, timeout, guard.wire());
  }
  // Answers true when there was a value to remove.
  template <class Self>
  pending<bool> remove(Self* self, detail::timeout_ms timeout = {}) const {
    return async_remove(self, timeout, std::nullopt);
  }
  template <class Self>
  pending<bool> remove(Self* self, const fence& guard, detail::timeout_ms timeout = {}) const {
    return async_remove(self, timeout, guard.wire());
  }
  template <class Self, class F>
  pending<T> get_and_update(Self* self, F f, detail::timeout_ms timeout = {}) const {
    return async_commit<T>(self, always_writes(std::move(f)), timeout,
                           [](const std::string& id, const detail::byte_update_outcome& done) {
                             return decode_result(id, done.old_bytes);
                           });
  }
  // Answers true when desired was written, false when the value differed.
  template <class Self>
  pending<bool> compare_and_set(Self* self, const T& expected, const T& desired,
                                detail::timeout_ms timeout = {}) const {
    return async_compare_and_set(self, expected, desired, timeout, std::nullopt);
  }

  // Checked before every write through this handle (set, update, cas, a
  // txn's set); a refused value fails with errc::validation_failed and
  // nothing is written. Local to this handle and its copies: other nodes
  // keep their own. As with Clojure's set-validator!, the current value
  // must pass first: when it does not, errc::validation_failed (thrown;
  // try_set_validator returns it) and the handle keeps the validator it
  // had. An absent value passes. Reads the value, blocking: set validators
  // up before handing the handle to actors.
  void set_validator(validator check) { try_set_validator(std::move(check)).value(); }
  result<void> try_set_validator(validator check, detail::timeout_ms timeout = {}) {
    auto state = core_.read(timeout);
    if (!state && state.error().code != errc::not_found)
      return std::move(state).error();
    if (state && check) {
      auto current = decode_result(id(), state->value);
      if (!current)
        return std::move(current).error();
      if (!check(*current))
        return error{errc::validation_failed,
                     "ref '" + id() + "': the current value (version " +
                         std::to_string(state->version) +
                         ") fails the new validator; the validator was not set"};
    }
    validator_ = std::make_shared<validator>(std::move(check));
    return {};
  }

  protocol::metadata_map metadata() const { return core_.read().value().metadata; }
  std::uint64_t set_metadata(protocol::metadata_map metadata) const {
    return core_.set_metadata(std::move(metadata)).value();
  }

  // --- values owned by a session (the contract is above
  // protocol::cmd_set_owned; docs/keyspace.md). set_owned: owned by this
  // context's session, so removed (watchers see it) when the context shuts
  // down, or crashes and its session lapses; other writers' writes keep
  // the owner. create_owned: the same, only while id is absent; false when
  // a value was there (it stays whoever's it is). set_with_ttl: owned by a
  // session of its own that nobody renews, so removed once ttl has passed
  // (a TTL outside the store's session TTLs: invalid_argument); a new TTL
  // write starts a new TTL. Each answers once the write committed.
  std::uint64_t set_owned(const T& value) const { return try_set_owned(value).value(); }
  result<std::uint64_t> try_set_owned(const T& value, detail::timeout_ms timeout = {}) const {
    return owned_write(value, std::nullopt, timeout);
  }
  bool create_owned(const T& value) const { return try_create_owned(value).value(); }
  result<bool> try_create_owned(const T& value, detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(value); !ok)
      return ok.error();
    auto made = core_.set_owned(Codec::encode(value), true, std::nullopt, timeout);
    if (!made)
      return std::move(made).error();
    return made->created;
  }
  std::uint64_t set_with_ttl(const T& value, std::chrono::milliseconds ttl) const {
    return try_set_with_ttl(value, ttl).value();
  }
  result<std::uint64_t> try_set_with_ttl(const T& value, std::chrono::milliseconds ttl,
                                         detail::timeout_ms timeout = {}) const {
    return owned_write(value, ttl, timeout);
  }
  // The session owning the value; empty when none. A linearizable read.
  std::string owner() const { return core_.read().value().owner; }
  template <class Self>
  pending<std::uint64_t> set_owned(Self* self, const T& value,
                                   detail::timeout_ms timeout = {}) const {
    return async_owned_write(self, value, std::nullopt, timeout);
  }
  template <class Self>
  pending<std::uint64_t> set_with_ttl(Self* self, const T& value, std::chrono::milliseconds ttl,
                                      detail::timeout_ms timeout = {}) const {
    return async_owned_write(self, value, ttl, timeout);
  }

  // Two forms, told apart by what f takes:
  // - f(const change<T>&) (change.hpp): every change after on_change
  //   returns: created, written, removed (with the removed value), metadata
  //   changed, and catch-ups;
  // - f(const T& old, const T& new): writes only (set, update, cas, named
  //   commands), and catch-ups from a value this watch saw.
  // From any node, this one included; in version order, one call at a time
  // on a CAF worker thread: keep f short. Values this handle's codec cannot
  // decode are skipped (the change form gets nullopt in their place). Stops
  // when the returned subscription is cancelled or destroyed. On redis (and
  // a cluster client that failed over past its member's event history), a
  // watcher away for too long gets one caught_up change from the last value
  // it saw to the current one (or a removal) instead of the changes it
  // missed.
  template <class F>
  [[nodiscard]] subscription on_change(F f) const {
    return core_.watch_values(detail::typed_change_handler<T, Codec>(std::move(f))).value();
  }
  // The same from an actor: the watch is in place when the pending answer
  // arrives (f still runs on a CAF worker, not in self's context).
  template <class Self, class F>
  pending<subscription> on_change(Self* self, F f, detail::timeout_ms timeout = {}) const {
    auto* scheduled = detail::as_scheduled(self);
    auto handler = detail::typed_change_handler<T, Codec>(std::move(f));
    return pending<subscription>{[core = core_, scheduled, handler,
                                  timeout](std::function<void(result<subscription>)> done) {
      core.async_watch_values(scheduled, handler, timeout, std::move(done));
    }};
  }

  const detail::ref_core& core() const noexcept { return core_; }

private:
  friend class txn; // validates and encodes the values it writes
  pending<std::uint64_t> async_set_under(caf::scheduled_actor* scheduled, const T& value,
                                         detail::timeout_ms timeout,
                                         std::optional<protocol::write_fence> wire) const {
    auto checked = validate(value);
    return pending<std::uint64_t>{
        [core = core_, scheduled, timeout, checked, wire,
         bytes = Codec::encode(value)](std::function<void(result<std::uint64_t>)> done) {
          if (!checked)
            return done(checked.error());
          core.async_set(scheduled, bytes, timeout, std::move(done), wire);
        }};
  }
  // One attempt runs in the context's ref actor for this id: it decodes,
  // calls f, validates and encodes; f returning nullopt leaves the value as
  // it is (compare_and_set on a mismatch). answer(id, outcome) makes R.
  template <class Self>
  pending<bool> async_remove(Self* self, detail::timeout_ms timeout,
                             std::optional<protocol::write_fence> guard) const {
    auto* scheduled = detail::as_scheduled(self);
    return pending<bool>{
        [core = core_, scheduled, timeout, guard](std::function<void(result<bool>)> done) {
          core.async_remove(
              scheduled, timeout,
              [done = std::move(done)](result<protocol::res_removed> got) {
                done(removed(std::move(got)));
              },
              guard);
        }};
  }

  // The fenced and unfenced compare_and_set from actors: desired is written
  // only while the value equals expected; answers whether it was.
  template <class Self>
  pending<bool> async_compare_and_set(Self* self, const T& expected, const T& desired,
                                      detail::timeout_ms timeout,
                                      std::optional<protocol::write_fence> guard) const {
    return async_commit<bool>(
        self,
        [expected, desired](const T& current) -> std::optional<T> {
          if (!(current == expected))
            return std::nullopt;
          return desired;
        },
        timeout,
        [](const std::string&, const detail::byte_update_outcome& done) -> result<bool> {
          return done.written;
        },
        std::move(guard));
  }

  template <class R, class Self, class F, class Answer>
  pending<R> async_commit(Self* self, F f, detail::timeout_ms timeout, Answer answer,
                          std::optional<protocol::write_fence> guard = {}) const {
    auto* scheduled = detail::as_scheduled(self);
    detail::byte_update attempt =
        [f = std::move(f), check = validator_,
         id = core_.id()](const std::string& old_bytes) -> result<std::optional<std::string>> {
      auto old = decode_result(id, old_bytes);
      if (!old)
        return std::move(old).error();
      std::optional<T> next = f(static_cast<const T&>(*old));
      if (!next)
        return std::optional<std::string>{};
      if (auto ok = validate_with(check, id, *next); !ok)
        return ok.error();
      return std::optional<std::string>{Codec::encode(*next)};
    };
    return pending<R>{[core = core_, scheduled, timeout, attempt, answer,
                       guard](std::function<void(result<R>)> done) {
      core.async_update(
          scheduled, attempt, timeout,
          [done = std::move(done), answer,
           id = core.id()](result<detail::byte_update_outcome> got) {
            if (!got)
              return done(std::move(got).error());
            done(answer(id, *got));
          },
          guard);
    }};
  }

  template <class F>
  std::pair<T, T> commit_with_effect(F&& f) const {
    std::function<void()> effect;
    auto committed = commit([&](const T& old) {
      with_effect<T> next = f(old);
      effect = std::move(next.effect); // only the last attempt's survives
      return std::move(next.value);
    });
    if (effect)
      effect();
    return committed;
  }

  // Returns (old, new) of the committed update; each attempt's cas goes
  // under guard when there is one.
  template <class F>
  std::pair<T, T> commit(F&& f, const protocol::write_fence* guard = nullptr) const {
    auto turn = core_.local_update_turn();
    for (int attempt = 0; attempt < core_.max_update_attempts(); ++attempt) {
      auto state = core_.base_for_update().value();
      T old = decode(state.value);
      T next = f(static_cast<const T&>(old));
      if (auto ok = validate(next); !ok)
        throw error_exception(ok.error());
      auto written = core_.cas(state.version, &state.value, Codec::encode(next), {}, guard);
      if (written)
        return {std::move(old), std::move(next)};
      if (written.error().code != errc::version_conflict)
        throw error_exception(written.error());
      core_.backoff(attempt);
    }
    throw error_exception(exhausted());
  }
};

} // namespace dref
