#pragma once
// What the members of dref::ref<T, Codec> (ref.hpp, the API and its
// contracts) share: the untyped core, the handle's validator, decoding and
// validating with the ref's id in the error, and the owned writes' common
// path.

#include "dref/detail/ref_core.hpp"
#include "dref/pending.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace dref::detail {

template <class T, class Codec>
class typed_ref_base {
public:
  using validator = std::function<bool(const T&)>;

protected:
  explicit typed_ref_base(ref_core core)
      : core_(std::move(core)) {}

  static result<T> decode_result(const std::string& id, const std::string& bytes) {
    auto value = Codec::decode(bytes);
    if (!value)
      return error{value.error().code, "ref '" + id + "': " + value.error().message};
    return std::move(*value);
  }
  T decode(const std::string& bytes) const { return decode_result(core_.id(), bytes).value(); }

  template <class F>
  static auto always_writes(F f) {
    return [f = std::move(f)](const T& current) -> std::optional<T> { return f(current); };
  }

  result<void> validate(const T& value) const {
    return validate_with(validator_, core_.id(), value);
  }
  static result<void> validate_with(const std::shared_ptr<validator>& check, const std::string& id,
                                    const T& value) {
    if (check && *check && !(*check)(value))
      return error{errc::validation_failed,
                   "ref '" + id + "': the validator refused the new value"};
    return {};
  }

  error exhausted() const { return retries_exhausted(core_.id(), core_.max_update_attempts()); }

  // set_owned / set_with_ttl (ttl given): the new version.
  result<std::uint64_t> owned_write(const T& value, std::optional<std::chrono::milliseconds> ttl,
                                    timeout_ms timeout) const {
    if (auto ok = validate(value); !ok)
      return ok.error();
    auto made = core_.set_owned(Codec::encode(value), false, ttl, timeout);
    if (!made)
      return std::move(made).error();
    return made->version;
  }
  template <class Self>
  pending<std::uint64_t> async_owned_write(Self* self, const T& value,
                                           std::optional<std::chrono::milliseconds> ttl,
                                           timeout_ms timeout) const {
    auto* scheduled = as_scheduled(self);
    auto checked = validate(value);
    auto bytes = Codec::encode(value);
    return pending<std::uint64_t>{[core = core_, scheduled, checked, bytes, ttl,
                                   timeout](std::function<void(result<std::uint64_t>)> done) {
      if (!checked)
        return done(checked.error());
      core.async_set_owned(scheduled, bytes, false, ttl, timeout,
                           [done = std::move(done)](result<protocol::res_created> made) {
                             if (!made)
                               return done(std::move(made).error());
                             done(made->version);
                           });
    }};
  }

  ref_core core_;
  std::shared_ptr<validator> validator_;
};

} // namespace dref::detail
