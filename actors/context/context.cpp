// The user's handle: a context on a backend, and its end.
#include "dref/context.hpp"

#include "context_access.hpp"
#include "context_impl.hpp"
#include "dref/detail/backend_of.hpp"

#include <caf/send.hpp>

namespace dref {
namespace detail {

context_impl::context_impl(caf::actor_system& system, std::shared_ptr<backend_handle> handle,
                           context_options opts)
    : sys(system)
    , backend(std::move(handle))
    , options(opts) {}

context_impl::~context_impl() {
  if (session_.keepalive)
    caf::anon_send_exit(session_.keepalive, caf::exit_reason::user_shutdown);
  for (auto& [id, actor] : ref_actors_.by_id)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

void context_impl::at_shutdown(std::weak_ptr<void> owner, std::function<void()> f) {
  std::lock_guard guard{shutdown_hooks_.mutex};
  std::erase_if(shutdown_hooks_.hooks, [](const auto& hook) { return hook.first.expired(); });
  shutdown_hooks_.hooks.emplace_back(std::move(owner), std::move(f));
}

void context_impl::run_shutdown_hooks() {
  decltype(shutdown_hooks_.hooks) hooks;
  {
    std::lock_guard guard{shutdown_hooks_.mutex};
    hooks.swap(shutdown_hooks_.hooks);
  }
  for (auto& [owner, f] : hooks)
    if (auto alive = owner.lock())
      f();
}

struct context_access {
  static const std::shared_ptr<context_impl>& impl(const context& ctx) { return ctx.impl_; }
};

backend::backend_actor backend_of(const context& ctx) {
  return context_access::impl(ctx)->backend->actor;
}

std::shared_ptr<context_impl> impl_of(const context& ctx) {
  return context_access::impl(ctx);
}

} // namespace detail

namespace {

context_options options_from(const config::node_config& cfg) {
  context_options options;
  options.request_timeout = cfg.timeouts.request;
  options.session_ttl = cfg.timeouts.session_ttl;
  return options;
}

} // namespace

context::context(caf::actor_system& sys, const config::node_config& cfg)
    : impl_(std::make_shared<detail::context_impl>(sys, detail::make_backend(sys, cfg),
                                                   options_from(cfg))) {}

context::context(caf::actor_system& sys, const raft_member& member, context_options options)
    : impl_(std::make_shared<detail::context_impl>(sys, detail::backend_access::handle(member),
                                                   options)) {}

context::context(caf::actor_system& sys, const redis_backend& shared, context_options options)
    : impl_(std::make_shared<detail::context_impl>(sys, detail::backend_access::handle(shared),
                                                   options)) {}

context::context(caf::actor_system& sys, const memory_backend& shared, context_options options)
    : impl_(std::make_shared<detail::context_impl>(sys, detail::backend_access::handle(shared),
                                                   options)) {}

context::~context() {
  shutdown();
}

void context::shutdown() {
  if (impl_ && !impl_->stopped) {
    impl_->run_shutdown_hooks(); // elections step down while the context works
    impl_->stop_delay_offers();  // the runs it started finish first
    impl_->close_session(true);  // lets go of every lock at once
    impl_->stopped = true;
  }
}

void context::abandon() {
  if (impl_ && !impl_->stopped) {
    impl_->close_session(false);
    impl_->stopped = true;
    // A run under way finishes its body, but commits nothing any more: its
    // claim ends with the session, as a crashed runner's would.
    impl_->stop_delay_offers();
  }
}

} // namespace dref
