#include "dref/context.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <random>
#include <thread>

#include "dref/backends/memory/memory_backend.hpp"
#include "dref/backends/redis/redis_backend.hpp"
#include "dref/backends/seam/messages.hpp"
#include "dref/backends/raft/node.hpp"
#include "context_impl.hpp"
#include "dref/protocol/caf/type_ids.hpp"

namespace dref {
namespace detail {

backend_handle::~backend_handle() {
  if (actor && owned)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

namespace {

std::uint64_t random_client_id() {
  std::random_device entropy;
  std::uint64_t id = 0;
  while (id == 0) // 0 means "no deduplication"
    id = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  return id;
}

// A backend's reply (an optional error and a value of type Value) as a result.
template <class Value, class Reply>
result<Value> from_reply(Reply reply) {
  if (reply.error)
    return std::move(*reply.error);
  return std::move(reply.value);
}

// One blocking request to the backend.
template <class Reply, class Value, class... Args>
result<Value> ask(caf::scoped_actor& self, const caf::actor& backend,
                  std::chrono::milliseconds timeout, Args&&... args) {
  result<Value> out = error{errc::internal, "no answer"};
  self->request(backend, timeout, std::forward<Args>(args)...)
    .receive([&](Reply& reply) { out = from_reply<Value>(std::move(reply)); },
             [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

} // namespace

context_impl::context_impl(caf::actor_system& system, std::shared_ptr<backend_handle> handle,
                           context_options opts)
  : sys(system), backend(std::move(handle)), options(opts), client_id(random_client_id()) {}

std::pair<std::uint64_t, std::uint64_t> context_impl::start_sequence() {
  std::lock_guard guard{mutex_};
  std::uint64_t sequence = ++next_sequence_;
  std::uint64_t acked = in_flight_.empty() ? sequence - 1 : *in_flight_.begin() - 1;
  in_flight_.insert(sequence);
  return {sequence, acked};
}

protocol::store_proposal context_impl::numbered(protocol::store_command command) {
  auto [sequence, acked] = start_sequence();
  return protocol::store_proposal{client_id, sequence, acked, 0, std::move(command)};
}

void context_impl::finish_sequence(std::uint64_t sequence) {
  std::lock_guard guard{mutex_};
  in_flight_.erase(sequence);
}

std::mutex& context_impl::update_mutex(const std::string& id) {
  std::lock_guard guard{mutex_};
  auto& slot = update_mutexes_[id];
  if (!slot)
    slot = std::make_unique<std::mutex>();
  return *slot;
}

namespace {

// Tells the contexts a thread used that it has ended.
struct thread_requesters {
  std::vector<std::weak_ptr<context_impl>> used;
  ~thread_requesters() {
    for (auto& weak : used)
      if (auto ctx = weak.lock())
        ctx->drop_requester(std::this_thread::get_id());
  }
};

thread_local thread_requesters this_thread_requesters;

} // namespace

caf::scoped_actor& context_impl::requester() {
  std::lock_guard guard{requesters_mutex_};
  auto& slot = requesters_[std::this_thread::get_id()];
  if (!slot) {
    slot = std::make_unique<caf::scoped_actor>(sys, true);
    std::erase_if(this_thread_requesters.used, [](const auto& weak) { return weak.expired(); });
    this_thread_requesters.used.push_back(weak_from_this());
  }
  // Whatever waits in the mailbox is stale: the timeout CAF still delivers
  // for a request answered in time, or an answer that came too late. Left
  // there, every later receive would scan past all of them.
  auto& self = *slot;
  while (self->has_next_message())
    (void)self->dequeue();
  return self;
}

void context_impl::drop_requester(std::thread::id thread) {
  std::unique_ptr<caf::scoped_actor> dropped;
  std::lock_guard guard{requesters_mutex_};
  if (auto it = requesters_.find(thread); it != requesters_.end()) {
    dropped = std::move(it->second);
    requesters_.erase(it);
  }
}

std::chrono::milliseconds context_impl::timeout_or_default(timeout_ms timeout) const {
  return timeout.value_or(options.request_timeout);
}

caf::duration context_impl::backend_timeout(timeout_ms timeout) const {
  if (backend->answers_at_once && !timeout)
    return caf::duration{}; // infinite
  return caf::duration{timeout_or_default(timeout)};
}

result<protocol::store_result> context_impl::propose(protocol::store_command command,
                                                     timeout_ms timeout) {
  if (stopped)
    return shut_down_error();
  if (backend->propose_here) {
    // Applied before the call returns, so never sent twice: no client id,
    // no cached answer. (Numbered, it could wait behind thousands of these
    // and find its sequence dropped from the cache as too old.)
    return from_reply<protocol::store_result>(
      backend->propose_here(protocol::store_proposal{0, 0, 0, 0, std::move(command)}));
  }
  auto proposal = numbered(std::move(command));
  auto sequence = proposal.sequence;
  auto out = ask<protocol::store_reply, protocol::store_result>(
    requester(), backend->actor, timeout_or_default(timeout), backend::propose_atom::value,
    std::move(proposal));
  finish_sequence(sequence);
  return out;
}

result<protocol::read_result> context_impl::read(protocol::store_read request,
                                                 timeout_ms timeout) {
  if (stopped)
    return shut_down_error();
  if (backend->read_here)
    return from_reply<protocol::read_result>(backend->read_here(request));
  return ask<protocol::store_read_reply, protocol::read_result>(
    requester(), backend->actor, timeout_or_default(timeout), backend::read_atom::value,
    std::move(request));
}

} // namespace detail

memory_backend memory_backend::start(caf::actor_system& sys, store::limits limits) {
  memory_backend out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  auto started = backend::spawn_memory_backend(sys, backend::memory_options{limits, {}});
  out.handle_->actor = std::move(started.actor);
  out.handle_->answers_at_once = true;
  out.handle_->read_here = [shared = started.shared](const protocol::store_read& r) {
    return shared->read(r);
  };
  out.handle_->propose_here = [shared = started.shared](protocol::store_proposal p) {
    return shared->propose(std::move(p));
  };
  return out;
}

namespace {

store::limits limits_from(const config::node_config& cfg) {
  store::limits lim;
  lim.max_value_bytes = cfg.limits.max_value_bytes;
  lim.max_id_length = cfg.limits.max_id_length;
  lim.topic_max_messages = cfg.limits.topic_max_messages;
  return lim;
}

} // namespace

context::context(caf::actor_system& sys, const config::node_config& cfg) {
  context_options options;
  options.request_timeout = cfg.timeouts.request;
  options.session_ttl = cfg.timeouts.session_ttl;
  auto handle = std::make_shared<detail::backend_handle>();
  switch (cfg.backend) {
  case config::backend_kind::memory:
    handle = memory_backend::start(sys, limits_from(cfg)).handle_;
    break;
  case config::backend_kind::raft:
    handle = raft_member::start(sys, cfg).handle_;
    break;
  case config::backend_kind::redis:
    handle = redis_backend::start(sys, cfg).handle_;
    break;
  }
  impl_ = std::make_shared<detail::context_impl>(sys, std::move(handle), options);
}

redis_backend redis_backend::start(caf::actor_system& sys, const config::node_config& cfg,
                                   std::optional<store::limits> limits) {
  backend::redis_options options;
  options.host = cfg.redis.host;
  options.port = cfg.redis.port;
  options.prefix = cfg.redis_key_prefix;
  options.limits = limits ? *limits : limits_from(cfg);
  auto spawned = backend::spawn_redis_backend(sys, std::move(options));
  if (!spawned)
    throw error_exception(spawned.error());
  redis_backend out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = std::move(*spawned);
  return out;
}

raft_member raft_member::start(caf::actor_system& sys, const config::node_config& cfg,
                               std::optional<store::limits> limits) {
  auto options = raft::node::options_from(cfg);
  if (limits)
    options.limits = *limits;
  auto started = raft::node::start_node(sys, std::move(options));
  if (!started)
    throw error_exception(started.error());
  raft_member out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = started->actor;
  out.port_ = started->port;
  return out;
}

raft_member raft_member::connect(caf::actor_system& sys, const std::string& host,
                                 std::uint16_t port, std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto remote = sys.middleman().remote_actor(host, port);
  while (!remote && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    remote = sys.middleman().remote_actor(host, port);
  }
  if (!remote)
    throw error_exception(error{errc::unavailable, "no dref member answers at " + host + ":"
                                                     + std::to_string(port) + ": "
                                                     + sys.render(remote.error())});
  raft_member out;
  out.handle_ = std::make_shared<detail::backend_handle>();
  out.handle_->actor = std::move(*remote);
  out.handle_->owned = false;
  out.port_ = port;
  return out;
}

result<protocol::node_status> raft_member::status(caf::actor_system& sys,
                                                  std::chrono::milliseconds timeout) const {
  if (!handle_ || !handle_->actor)
    return error{errc::invalid_argument, "not a running member"};
  caf::scoped_actor self{sys, true};
  result<protocol::node_status> out = error{errc::internal, "no answer"};
  self->request(handle_->actor, timeout, protocol::status_atom::value)
    .receive([&](protocol::node_status& st) { out = std::move(st); },
             [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

namespace {

template <class Request>
result<void> ask_admin(caf::actor_system& sys, const caf::actor& member, Request request,
                       std::chrono::milliseconds timeout) {
  if (!member)
    return error{errc::invalid_argument, "not a running member"};
  caf::scoped_actor self{sys, true};
  result<void> out = error{errc::internal, "no answer"};
  self->request(member, timeout, std::move(request))
    .receive(
      [&](protocol::admin_reply& reply) {
        if (reply.error)
          out = std::move(*reply.error);
        else
          out = result<void>{};
      },
      [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

} // namespace

result<void> raft_member::add_learner(caf::actor_system& sys, const std::string& name,
                                      const std::string& address,
                                      std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_ ? handle_->actor : caf::actor{},
                   protocol::member_change{protocol::member_change_kind::add_learner, name, address},
                   timeout);
}

result<void> raft_member::promote(caf::actor_system& sys, const std::string& name,
                                  std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_ ? handle_->actor : caf::actor{},
                   protocol::member_change{protocol::member_change_kind::promote, name, {}},
                   timeout);
}

result<void> raft_member::remove(caf::actor_system& sys, const std::string& name,
                                 std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_ ? handle_->actor : caf::actor{},
                   protocol::member_change{protocol::member_change_kind::remove, name, {}},
                   timeout);
}

result<void> raft_member::transfer_leadership(caf::actor_system& sys, const std::string& to,
                                              std::chrono::milliseconds timeout) const {
  return ask_admin(sys, handle_ ? handle_->actor : caf::actor{}, protocol::leader_transfer{to},
                   timeout);
}

void raft_member::set_link_cut(const std::string& member, bool cut) const {
  if (handle_ && handle_->actor)
    caf::anon_send(handle_->actor, protocol::fault_atom::value, member, cut);
}

void raft_member::stop() {
  if (handle_ && handle_->actor && handle_->owned)
    caf::anon_send_exit(handle_->actor, caf::exit_reason::user_shutdown);
}

context::context(caf::actor_system& sys, const raft_member& member, context_options options)
  : impl_(std::make_shared<detail::context_impl>(sys, member.handle_, options)) {}

context::context(caf::actor_system& sys, const redis_backend& shared, context_options options)
  : impl_(std::make_shared<detail::context_impl>(sys, shared.handle_, options)) {}

context::context(caf::actor_system& sys, const memory_backend& shared, context_options options)
  : impl_(std::make_shared<detail::context_impl>(sys, shared.handle_, options)) {}

context::~context() { shutdown(); }

void context::shutdown() {
  if (impl_ && !impl_->stopped) {
    impl_->close_session(true); // lets go of every lock at once
    impl_->stopped = true;
  }
}

void context::abandon() {
  if (impl_ && !impl_->stopped) {
    impl_->close_session(false);
    impl_->stopped = true;
  }
}

} // namespace dref
