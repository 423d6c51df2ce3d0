// Prefix watches through a context (the contract is above
// context::watch_prefix): the prefix checked here (check_watch_prefix), so
// that every backend refuses the same prefixes; the backend's events of key "prefix*" turned
// into changes by prefix_changes.hpp.
#include "context_impl.hpp"
#include "dref/backends/seam/watch_key.hpp"
#include "dref/context.hpp"
#include "prefix_changes.hpp"

#include <caf/scheduled_actor.hpp>
#include <memory>

namespace dref {

namespace {

result<std::string> watch_key_of(const std::string& prefix) {
  if (auto ok = backend::check_watch_prefix(prefix, store::limits{}); !ok)
    return ok.error();
  return prefix + "*";
}

std::function<void(const protocol::store_event&)> keyed_changes(std::string key,
                                                                detail::keyed_change_handler f) {
  auto changes = std::make_shared<detail::prefix_changes>(std::move(key));
  return [changes, f = std::move(f)](const protocol::store_event& e) {
    for (const auto& [id, change] : changes->on(e))
      f(id, change);
  };
}

} // namespace

result<subscription> context::watch_prefix_bytes(const std::string& prefix,
                                                 detail::keyed_change_handler f,
                                                 detail::timeout_ms timeout) {
  auto key = watch_key_of(prefix);
  if (!key)
    return std::move(key).error();
  return impl_->watch(*key, keyed_changes(*key, std::move(f)), timeout);
}

void context::async_watch_prefix(const std::shared_ptr<detail::context_impl>& impl,
                                 caf::scheduled_actor* self, const std::string& prefix,
                                 detail::keyed_change_handler f, detail::timeout_ms timeout,
                                 std::function<void(result<subscription>)> done) {
  auto key = watch_key_of(prefix);
  if (!key)
    return done(std::move(key).error());
  impl->async_watch_subscription(self, *key, keyed_changes(*key, std::move(f)), timeout,
                                 std::move(done));
}

} // namespace dref
