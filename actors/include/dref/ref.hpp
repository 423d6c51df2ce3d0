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

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "dref/codec.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/store/delta.hpp"
#include "dref/subscription.hpp"

namespace dref {

template <class T>
struct versioned {
  T value;
  std::uint64_t version = 0;
};

template <class T, class Codec = binary_codec<T>>
  requires codec_for<Codec, T>
class ref {
public:
  using value_type = T;
  using validator = std::function<bool(const T&)>;

  ref(detail::ref_core core) : core_(std::move(core)) {}

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
    auto value = Codec::decode(state->value);
    if (!value)
      return error{value.error().code, "ref '" + id() + "': " + value.error().message};
    return versioned<T>{std::move(*value), state->version};
  }

  // Returns the new version.
  std::uint64_t set(const T& value) const { return try_set(value).value(); }
  result<std::uint64_t> try_set(const T& value, detail::timeout_ms timeout = {}) const {
    if (auto ok = validate(value); !ok)
      return ok.error();
    return core_.set(Codec::encode(value), timeout);
  }

  // Writes desired only if the current value equals expected.
  bool compare_and_set(const T& expected, const T& desired) const {
    if (auto ok = validate(desired); !ok)
      throw error_exception(ok.error());
    auto turn = core_.local_update_turn();
    for (int attempt = 0; attempt < core_.max_update_attempts(); ++attempt) {
      auto state = core_.read().value();
      auto current = decode(state.value);
      if (!(current == expected))
        return false;
      auto written = core_.cas(state.version, &state.value, Codec::encode(desired));
      if (written)
        return true;
      if (written.error().code != errc::version_conflict)
        throw error_exception(written.error());
      core_.backoff(attempt);
    }
    throw error_exception(exhausted());
  }

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

  // Checked before every write through this handle (set, update, cas); a
  // refused value fails with errc::validation_failed and nothing is written.
  // Local to this handle and its copies: other nodes keep their own.
  void set_validator(validator check) { validator_ = std::make_shared<validator>(std::move(check)); }

  protocol::metadata_map metadata() const { return core_.read().value().metadata; }
  std::uint64_t set_metadata(protocol::metadata_map metadata) const {
    return core_.set_metadata(std::move(metadata)).value();
  }

  // Calls f(old, new) for every write after on_change returns (set, update,
  // cas, named commands; from any node, this one included), in version
  // order, one call at a time on a CAF worker thread: keep f short. Values
  // this handle's codec cannot decode are skipped. Stops when the returned
  // subscription is cancelled or destroyed.
  template <class F>
  [[nodiscard]] subscription on_change(F f) const {
    auto ref_id = id();
    return core_
      .watch([f = std::move(f), ref_id](const protocol::store_event& e) mutable {
        if (e.kind != protocol::event_kind::value_written || !e.old_value)
          return;
        std::string bytes;
        if (e.payload_type == protocol::payload_kind::delta) {
          auto patched = store::apply_delta(*e.old_value, e.payload, SIZE_MAX);
          if (!patched)
            return;
          bytes = std::move(*patched);
        } else {
          bytes = e.payload;
        }
        auto old_value = Codec::decode(*e.old_value);
        auto new_value = Codec::decode(bytes);
        if (old_value && new_value)
          f(static_cast<const T&>(*old_value), static_cast<const T&>(*new_value));
      })
      .value();
  }

  const detail::ref_core& core() const noexcept { return core_; }

private:
  T decode(const std::string& bytes) const {
    auto value = Codec::decode(bytes);
    if (!value)
      throw error_exception(
        error{value.error().code, "ref '" + id() + "': " + value.error().message});
    return std::move(*value);
  }

  result<void> validate(const T& value) const {
    if (validator_ && *validator_ && !(*validator_)(value))
      return error{errc::validation_failed,
                   "ref '" + id() + "': the validator refused the new value"};
    return {};
  }

  error exhausted() const {
    return error{errc::retries_exhausted,
                 "ref '" + id() + "': " + std::to_string(core_.max_update_attempts())
                   + " attempts lost to concurrent writers"};
  }

  // Returns (old, new) of the committed update.
  template <class F>
  std::pair<T, T> commit(F&& f) const {
    auto turn = core_.local_update_turn();
    for (int attempt = 0; attempt < core_.max_update_attempts(); ++attempt) {
      auto state = core_.read().value();
      T old = decode(state.value);
      T next = f(static_cast<const T&>(old));
      if (auto ok = validate(next); !ok)
        throw error_exception(ok.error());
      auto written = core_.cas(state.version, &state.value, Codec::encode(next));
      if (written)
        return {std::move(old), std::move(next)};
      if (written.error().code != errc::version_conflict)
        throw error_exception(written.error());
      core_.backoff(attempt);
    }
    throw error_exception(exhausted());
  }

  detail::ref_core core_;
  std::shared_ptr<validator> validator_;
};

} // namespace dref
