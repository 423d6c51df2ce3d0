#include "dref/store/delta.hpp"
#include "dref/store/input_checks.hpp"
#include "dref/store/refusals.hpp"
#include "redis/backend_state.hpp"
#include "redis/named_runs.hpp"
#include "redis/store_replies.hpp"

#include <variant>

namespace dref::backend::redis_impl {

namespace {

// The patch a command carries, alone or under a fence.
protocol::cmd_patch* patch_in(protocol::store_command& command) {
  if (auto* fenced = std::get_if<protocol::cmd_fenced>(&command))
    return std::get_if<protocol::cmd_patch>(&fenced->write);
  return std::get_if<protocol::cmd_patch>(&command);
}

// A fenced patch refused here says not_holder instead when its fence no
// longer holds, as the store checks the fence before the write: the lock's
// state decides which refusal goes back (either way nothing was written).
void refuse_fenced_patch(redis_actor* self, const protocol::write_fence& fence, error refusal,
                         reply_promise promise, clock_type::time_point give_up) {
  run_read(
      self, protocol::store_read{protocol::read_kind::lock, fence.lock, 0, 0},
      [fence, refusal, promise](redis_actor*, protocol::store_read_reply lock) mutable {
        if (lock.error)
          return (void)promise.deliver(store::refusal_reply(std::move(*lock.error)));
        const auto& state = std::get<protocol::lock_state>(lock.value);
        std::uint64_t current = state.held ? state.token : 0;
        if (current == 0 || current != fence.token)
          refusal = store::fence_refused(fence.lock, fence.token, current);
        promise.deliver(store::refusal_reply(std::move(refusal)));
      },
      give_up);
}

// Redis's Lua has no zstd: the delta is applied here, and the result goes
// as a cas at the version the delta was made against (under the patch's
// fence, if it has one).
void run_patch(redis_actor* self, protocol::store_proposal proposal, reply_promise promise,
               clock_type::time_point give_up) {
  const auto& patch = *patch_in(proposal.command);
  run_read(
      self, protocol::store_read{protocol::read_kind::value, patch.id, 0, 0},
      [proposal, promise, give_up](redis_actor* actor, protocol::store_read_reply current) mutable {
        auto refuse = [&](error refusal) {
          if (auto* fenced = std::get_if<protocol::cmd_fenced>(&proposal.command))
            return refuse_fenced_patch(actor, fenced->fence, std::move(refusal), promise, give_up);
          promise.deliver(store::refusal_reply(std::move(refusal)));
        };
        if (current.error)
          return refuse(std::move(*current.error));
        const auto& value = std::get<protocol::value_state>(current.value);
        auto asked = *patch_in(proposal.command);
        if (value.version != asked.expected_version)
          return refuse(store::version_conflict(asked.id, value.version, asked.expected_version));
        auto patched =
            store::apply_delta(value.value, asked.delta, actor->state.keys.limits.max_value_bytes);
        if (!patched)
          return refuse(error{patched.error().code,
                              "patch of ref '" + asked.id + "': " + patched.error().message});
        protocol::cmd_cas cas{asked.id, asked.expected_version, std::move(*patched)};
        if (auto* fenced = std::get_if<protocol::cmd_fenced>(&proposal.command))
          fenced->write = std::move(cas);
        else
          proposal.command = std::move(cas);
        run_proposal(actor, std::move(proposal), promise, give_up);
      },
      give_up);
}

// A named command the script does not run (redis/named_runs.hpp): read,
// run here, write while the value is unchanged, all again after a conflict
// or, for a numbered call, a lost answer (a write that happened answers
// from the script's cache).
void run_named(redis_actor* self, protocol::store_proposal proposal, reply_promise promise,
               clock_type::time_point give_up) {
  auto again = [proposal, promise, give_up](redis_actor* actor) {
    run_named(actor, proposal, promise, give_up);
  };
  run_read(
      self, redis::value_read(redis::run_in_backend(proposal)->id),
      [proposal, promise, give_up, again](redis_actor* actor,
                                          protocol::store_read_reply read) mutable {
        auto& st = actor->state;
        auto write = redis::command_write(st.keys, *st.options.commands, proposal, read);
        if (auto* refused = std::get_if<protocol::store_reply>(&write))
          return (void)promise.deliver(std::move(*refused));
        submit(actor, *st.commands, std::move(std::get<std::vector<std::string>>(write)),
               call_kind::store_command,
               [proposal, promise, give_up, again](redis_actor* later,
                                                   result<redis::reply> got) mutable {
                 if (worth_retrying(got, repeat_safe(proposal)) && now(later) < give_up)
                   return post_later(later, again);
                 auto reply = redis::command_reply(got, proposal.command);
                 if (reply.error && reply.error->code == errc::version_conflict) {
                   if (now(later) < give_up)
                     return again(later);
                   reply.error = error{errc::unavailable, reply.error->message +
                                                              ", every time for retry_for: the "
                                                              "command wrote nothing"};
                 }
                 promise.deliver(std::move(reply));
               });
      },
      give_up);
}

} // namespace

bool run_computed(redis_actor* self, protocol::store_proposal& proposal, reply_promise& promise,
                  clock_type::time_point give_up) {
  if (patch_in(proposal.command) != nullptr)
    run_patch(self, std::move(proposal), std::move(promise), give_up);
  else if (redis::run_in_backend(proposal) != nullptr)
    run_named(self, std::move(proposal), std::move(promise), give_up);
  else
    return false;
  return true;
}

} // namespace dref::backend::redis_impl
