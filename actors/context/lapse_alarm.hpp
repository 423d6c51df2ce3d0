#pragma once
// A session's lapse told in an actor's context: what a lock or permits held
// from an actor listen with. The lapse is noticed on the keepalive's thread
// (session_deadline.hpp) and posted through an inbox of its own.

#include "inbox.hpp"
#include "session_deadline.hpp"

#include <functional>
#include <memory>
#include <string>

namespace caf {
class scheduled_actor;
}

namespace dref::detail {

struct context_impl;

class lapse_alarm {
public:
  // on_lapse runs once in self's context when `session` lapses; soon after
  // start when it is not the context's session any more (lapsed already).
  // Only once the owner of on_lapse stops listening may it go: capture it
  // weakly.
  void start(context_impl& ctx, caf::scheduled_actor* self, const std::string& session,
             std::function<void()> on_lapse);
  // Nothing more is told; idempotent.
  void stop();

private:
  std::shared_ptr<session_deadline> life_;
  std::uint64_t listening_ = 0;
  inbox alarm_;
};

} // namespace dref::detail
