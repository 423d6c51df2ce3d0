// Delays from actors: the steps of the blocking get (delays.cpp: watch,
// then claim or ask for a run; run the body when the claim is ours; else
// wait for completion, claim or ask again when the runner's session lapses
// and fail when its body failed), in the actor's context.
#include "awaiting.hpp"
#include "context_impl.hpp"
#include "delay_runs.hpp"
#include "dref/delay.hpp"

#include <caf/scheduled_actor.hpp>

namespace dref::detail {

using namespace protocol;

namespace {

struct actor_delay : awaiting<std::string> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string id;
  std::function<std::string()> body;
  bool claiming = false;
  bool released_meanwhile = false; // a runner lapsed while we claimed

  std::shared_ptr<actor_delay> me() {
    return std::static_pointer_cast<actor_delay>(shared_from_this());
  }

  void on_event(const store_event& e) {
    if (e.kind == event_kind::delay_completed)
      return answer(e.payload);
    if (e.kind == event_kind::delay_failed)
      return answer(body_failed_error(id, e.session, e.payload));
    if (e.kind != event_kind::delay_released || answered())
      return;
    if (!body)
      return request();
    if (claiming)
      released_meanwhile = true;
    else
      claim();
  }

  void claim() {
    claiming = true;
    released_meanwhile = false;
    ctx->async_session(self, [me = me()](result<std::string> session) {
      if (!session)
        return me->answer(std::move(session).error());
      me->ctx->async_propose(me->self, cmd_delay_claim{me->id, *session}, std::nullopt,
                             [me, session = *session](result<store_result> got) {
                               me->claimed(session, std::move(got));
                             });
    });
  }

  void claimed(const std::string& session, result<store_result> got) {
    claiming = false;
    if (!got)
      return answer(std::move(got).error());
    auto& state = std::get<res_delay>(*got);
    switch (state.state) {
      case delay_claim_state::completed:
        return answer(std::move(state.value));
      case delay_claim_state::run_body:
        if (ctx->start_delay_run(id))
          return run_body(session);
        return; // another caller of this context runs it: its completion is coming
      case delay_claim_state::running:
        if (released_meanwhile)
          claim();
        return; // the completion or the runner's release is on its way
      case delay_claim_state::requested:
        return; // answers a request, never a claim
    }
  }

  void run_body(const std::string& session) {
    std::string value;
    std::optional<std::string> failure;
    try {
      value = body();
    } catch (...) {
      failure = failure_message(std::current_exception());
    }
    if (failure) {
      // Everyone waiting learns it (delay_failed), this caller included,
      // and the delay is unclaimed again; not reported, the claim ends with
      // the session.
      ctx->async_propose(self, cmd_delay_fail{id, session, *failure}, std::nullopt,
                         [me = me(), session, failure = *failure](result<store_result>) {
                           me->ctx->end_delay_run(me->id);
                           me->answer(body_failed_error(me->id, session, failure));
                         });
      return;
    }
    ctx->async_propose(self, cmd_delay_complete{id, session, value}, std::nullopt,
                       [me = me(), value](result<store_result> done) {
                         me->ctx->end_delay_run(me->id);
                         if (done)
                           return me->answer(value);
                         // Our session lapsed while the body ran and another
                         // runner finished: its completion event is coming.
                         if (done.error().code != errc::already_delivered)
                           me->answer(std::move(done).error());
                       });
  }

  // Without a body: ask the body-holders for a run, and again every
  // request_interval until answered (delays.cpp says why).
  void request() {
    if (answered())
      return;
    ctx->async_propose(self, cmd_delay_request{id}, std::nullopt,
                       [me = me()](result<store_result> got) {
                         if (!got)
                           return me->answer(std::move(got).error());
                         auto& state = std::get<res_delay>(*got);
                         if (state.state == delay_claim_state::completed)
                           return me->answer(std::move(state.value));
                       });
  }
  void ask_now_and_then() {
    if (answered())
      return;
    events.post_after(request_interval(*ctx), [me = me()] {
      me->request();
      me->ask_now_and_then();
    });
  }
};

} // namespace

void delay_core::async_get(caf::scheduled_actor* self, std::function<std::string()> body,
                           std::optional<std::chrono::milliseconds> wait,
                           std::function<void(result<std::string>)> done) const {
  auto run = std::make_shared<actor_delay>();
  run->ctx = ctx;
  run->self = self;
  run->id = id;
  run->body = std::move(body);
  run->done = std::move(done);
  ctx->async_watch(
      self, id, [run](const store_event& e) { run->on_event(e); }, std::nullopt,
      [run, wait](result<inbox> watching) {
        if (!watching)
          return run->answer(std::move(watching).error());
        run->events = std::move(*watching);
        run->time_out_after(wait, "delay '" + run->id + "' did not complete");
        if (run->body) {
          run->claim();
        } else {
          run->request();
          run->ask_now_and_then();
        }
      });
}

} // namespace dref::detail
