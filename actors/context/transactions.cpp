// Transactions through a context (the contract is in txn.hpp): one
// cmd_txn, blocking or from an actor, after the sessions its owned sets
// name.
#include "context_impl.hpp"
#include "dref/context.hpp"
#include "ttl_sessions.hpp"
#include "value_cache.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref {

namespace {

result<txn_result> outcome_of(const std::shared_ptr<detail::context_impl>& impl,
                              const protocol::cmd_txn& cmd, result<protocol::store_result> got) {
  if (!got)
    return std::move(got).error();
  auto* answer = std::get_if<protocol::res_txn>(&*got);
  if (answer == nullptr)
    return error{errc::internal, "txn: the backend answered with another result type"};
  txn_result out;
  out.committed = answer->committed;
  out.version = answer->version;
  if (!answer->committed) {
    if (answer->failed_compare >= cmd.compares.size())
      return error{errc::internal, "txn: the backend named a compare the txn does not have"};
    out.failed_compare = answer->failed_compare;
    out.failed_id = cmd.compares[answer->failed_compare].id;
    out.found_version = answer->found_version;
    return out;
  }
  // This context reads its own writes through get_cached() too (a copy
  // made later reads first anyway).
  for (const auto& write : cmd.writes)
    if (auto copy = impl->held_cache(write.id))
      copy->raise_floor(answer->version);
  return out;
}

// The sessions a txn's owned sets name (txn.hpp has the rule): the
// context's, and one TTL session per distinct TTL, opened in order before
// the txn goes.
struct owned_sets {
  protocol::cmd_txn cmd; // the sessions named in as they are known
  std::vector<txn::owner> owners;
  bool needs_context_session = false;
  std::vector<std::pair<std::chrono::milliseconds, protocol::cmd_session_open>> ttl_sessions;
  std::size_t opened = 0; // of ttl_sessions

  owned_sets(const detail::context_impl& impl, const txn& t)
      : cmd{t.command()}
      , owners{t.owners()} {
    for (const auto& owner : owners) {
      if (!owner.ttl) {
        needs_context_session = true;
        continue;
      }
      auto same = [&](const auto& known) { return known.first == *owner.ttl; };
      if (std::none_of(ttl_sessions.begin(), ttl_sessions.end(), same))
        ttl_sessions.emplace_back(*owner.ttl, detail::ttl_session(impl.client_id, *owner.ttl));
    }
  }

  void name_context_session(const std::string& session) {
    for (const auto& owner : owners)
      if (!owner.ttl)
        cmd.writes[owner.write].session = session;
  }

  // The next TTL session is open.
  void name_opened() {
    const auto& [ttl, open] = ttl_sessions[opened++];
    for (const auto& owner : owners)
      if (owner.ttl == ttl)
        cmd.writes[owner.write].session = open.session;
  }

  bool all_open() const { return opened == ttl_sessions.size(); }
  const protocol::cmd_session_open& next_open() const { return ttl_sessions[opened].second; }
  error open_failed(error e) const {
    return detail::ttl_error("txn", ttl_sessions[opened].first, std::move(e));
  }

  // The txn's answer, its TTL refusal worded for the txn.
  result<txn_result> answer(result<txn_result> out) const {
    if (!out && out.error().code == errc::unknown_session && !ttl_sessions.empty())
      return error{errc::unknown_session,
                   "txn: a session owning its writes ended before it arrived (a TTL passed, or "
                   "the context's session lapsed); nothing was written: " +
                       out.error().message};
    return out;
  }

  // The TTL sessions to close: those opened, unless the txn may have
  // written under them (committed, or an unknown outcome).
  std::vector<protocol::cmd_session_close> to_close(const result<txn_result>* out) const {
    std::vector<protocol::cmd_session_close> closes;
    if (out != nullptr &&
        (*out ? (*out)->committed : detail::write_may_have_happened(out->error())))
      return closes;
    for (std::size_t i = 0; i < opened; ++i)
      closes.push_back({ttl_sessions[i].second.session});
    return closes;
  }
};

// One owned commit from an actor: each session, then the txn, then the
// closes, each step in self's context.
struct async_owned_commit : std::enable_shared_from_this<async_owned_commit> {
  std::shared_ptr<detail::context_impl> impl;
  caf::scheduled_actor* self;
  owned_sets sets;
  detail::timeout_ms timeout;
  std::function<void(result<txn_result>)> done;

  async_owned_commit(std::shared_ptr<detail::context_impl> i, caf::scheduled_actor* s, const txn& t,
                     detail::timeout_ms wait, std::function<void(result<txn_result>)> d)
      : impl{std::move(i)}
      , self{s}
      , sets{*impl, t}
      , timeout{wait}
      , done{std::move(d)} {}

  void start() {
    if (!sets.needs_context_session)
      return open_next();
    impl->async_session(self, [me = shared_from_this()](result<std::string> session) {
      if (!session)
        return me->done(std::move(session).error());
      me->sets.name_context_session(*session);
      me->open_next();
    });
  }

  void open_next() {
    if (sets.all_open())
      return commit();
    impl->async_propose(self, sets.next_open(), timeout,
                        [me = shared_from_this()](result<protocol::store_result> opened) {
                          if (!opened)
                            return me->finish(me->sets.open_failed(std::move(opened).error()),
                                              true);
                          me->sets.name_opened();
                          me->open_next();
                        });
  }

  void commit() {
    impl->async_propose(self, sets.cmd, timeout,
                        [me = shared_from_this()](result<protocol::store_result> got) {
                          me->finish(outcome_of(me->impl, me->sets.cmd, std::move(got)), false);
                        });
  }

  // opening: a session failed to open, so the txn never went.
  void finish(result<txn_result> out, bool opening) {
    auto closes = sets.to_close(opening ? nullptr : &out);
    for (auto& close : closes)
      impl->async_propose(self, std::move(close), timeout, [](result<protocol::store_result>) {});
    done(opening ? std::move(out) : sets.answer(std::move(out)));
  }
};

} // namespace

txn_result context::commit(const txn& t) {
  return try_commit(t).value();
}

result<txn_result> context::try_commit(const txn& t, detail::timeout_ms timeout) {
  if (t.refused())
    return *t.refused();
  if (t.owners().empty())
    return outcome_of(impl_, t.command(), impl_->propose(t.command(), timeout));
  owned_sets sets{*impl_, t};
  if (sets.needs_context_session) {
    auto session = impl_->session();
    if (!session)
      return std::move(session).error();
    sets.name_context_session(*session);
  }
  auto close = [&](const result<txn_result>* out) {
    for (auto& closing : sets.to_close(out))
      (void)impl_->propose(std::move(closing), timeout);
  };
  while (!sets.all_open()) {
    auto opened = impl_->propose(sets.next_open(), timeout);
    if (!opened) {
      auto failed = sets.open_failed(std::move(opened).error());
      close(nullptr);
      return failed;
    }
    sets.name_opened();
  }
  auto out = outcome_of(impl_, sets.cmd, impl_->propose(sets.cmd, timeout));
  close(&out);
  return sets.answer(std::move(out));
}

void context::async_commit(const std::shared_ptr<detail::context_impl>& impl,
                           caf::scheduled_actor* self, const txn& t, detail::timeout_ms timeout,
                           std::function<void(result<txn_result>)> done) {
  if (t.refused())
    return done(*t.refused());
  if (!t.owners().empty())
    return std::make_shared<async_owned_commit>(impl, self, t, timeout, std::move(done))->start();
  impl->async_propose(
      self, t.command(), timeout,
      [impl, cmd = t.command(), done = std::move(done)](result<protocol::store_result> got) {
        done(outcome_of(impl, cmd, std::move(got)));
      });
}

} // namespace dref
