// Barriers from actors, and the one state machine behind the blocking form
// too (barrier.cpp runs it in an actor of its own). One arrival: watch the
// barrier's ids into an inbox, read the current round, write this
// participant's value and count it, then read the round (barrier_rule.hpp
// says in which order) after every change until the rule decides.
#include "barrier_rule.hpp"
#include "context_impl.hpp"
#include "dref/barrier.hpp"
#include "dref/store/named_commands.hpp"
#include "lapse_alarm.hpp"
#include "listing.hpp"

#include <atomic>
#include <caf/scheduled_actor.hpp>

namespace dref::detail {

using namespace protocol;

namespace {

std::string round_prefix(const std::string& id, std::uint64_t round) {
  return id + "/r" + std::to_string(round) + "/";
}

std::string next_holder(const std::string& session) {
  static std::atomic<std::uint64_t> arrivals{0};
  return session + "." + std::to_string(++arrivals);
}

// A value read, or nullopt when absent.
result<std::optional<value_state>> value_or_absent(result<read_result> got) {
  if (!got) {
    if (got.error().code == errc::not_found)
      return std::optional<value_state>{};
    return std::move(got).error();
  }
  if (auto* state = std::get_if<value_state>(&*got))
    return std::optional<value_state>{std::move(*state)};
  return error{errc::internal, "barrier: the backend answered a value read with another result"};
}

result<std::int64_t> number_or_zero(const std::optional<value_state>& state, const char* what) {
  if (!state)
    return std::int64_t{0};
  return store::decode_i64(state->value, what);
}

struct arrival : std::enable_shared_from_this<arrival> {
  std::shared_ptr<context_impl> ctx;
  caf::scheduled_actor* self = nullptr;
  std::string id;
  std::int64_t parties = 0;
  std::optional<std::chrono::milliseconds> wait;
  std::function<void(result<std::uint64_t>)> done; // empty once answered
  std::string session;
  std::string holder;
  inbox events;
  lapse_alarm alarm;
  round_view view;
  std::uint64_t round_version = 0; // of "<id>/round" as last read (0: absent)
  bool arrived = false;            // written and counted in view.round
  bool checking = false;           // a round of reads or a verdict is under way
  bool check_again = false;
  bool gave_up = false; // our wait ran out

  std::string mine() const { return round_prefix(id, view.round) + "in/" + holder; }

  void answer(result<std::uint64_t> outcome) {
    if (!done)
      return;
    auto reply = std::move(done);
    done = nullptr;
    events.close();
    alarm.stop();
    reply(std::move(outcome));
  }

  // Leaves the round (a plain removal: not a lapse), then answers.
  void leave_and_answer(result<std::uint64_t> outcome) {
    if (!arrived)
      return answer(std::move(outcome));
    arrived = false;
    ctx->async_propose(self, cmd_remove{mine()}, std::nullopt,
                       [me = shared_from_this(), outcome = std::move(outcome)](
                           result<store_result>) mutable { me->answer(std::move(outcome)); });
  }

  void start() {
    ctx->async_session(self, [me = shared_from_this()](result<std::string> opened) {
      if (!opened)
        return me->answer(std::move(opened).error());
      me->session = std::move(*opened);
      me->holder = next_holder(me->session);
      me->alarm.start(*me->ctx, me->self, me->session, [weak = me->weak_from_this()] {
        if (auto alive = weak.lock())
          alive->answer(error{errc::session_expired,
                              "barrier '" + alive->id + "': the session lapsed while waiting"});
      });
      me->watch();
    });
  }

  void watch() {
    ctx->async_watch(
        self, id + "/*", [me = shared_from_this()](const store_event&) { me->check(); },
        std::nullopt,
        [me = shared_from_this()](result<inbox> watching) {
          if (!watching)
            return me->answer(std::move(watching).error());
          if (!me->done)
            return;
          me->events = std::move(*watching);
          if (me->wait)
            // Weakly: an answered request must not be kept (with its context)
            // until a long wait's timer fires.
            me->events.post_after(*me->wait, [weak = me->weak_from_this()] {
              if (auto alive = weak.lock())
                alive->give_up();
            });
          me->join();
        });
  }

  // Arrives in the current round.
  void join() {
    ctx->async_read(self, store_read{read_kind::value, id + "/round", 0, 0}, std::nullopt,
                    [me = shared_from_this()](result<read_result> got) {
                      auto state = value_or_absent(std::move(got));
                      if (!state)
                        return me->answer(std::move(state).error());
                      auto round = number_or_zero(*state, "the barrier's round");
                      if (!round)
                        return me->answer(std::move(round).error());
                      me->view = round_view{};
                      me->view.round = static_cast<std::uint64_t>(*round);
                      if (me->done)
                        me->write();
                    });
  }

  void write() {
    ctx->async_propose(self, cmd_set_owned{mine(), {}, session, true}, std::nullopt,
                       [me = shared_from_this()](result<store_result> got) {
                         if (!got)
                           return me->answer(std::move(got).error());
                         me->view.arrived_version = std::get<res_created>(*got).version;
                         me->arrived = true;
                         me->ctx->async_propose(
                             me->self,
                             cmd_run{round_prefix(me->id, me->view.round) + "arrived", "add_i64",
                                     store::encode_i64(1)},
                             std::nullopt, [me](result<store_result> counted) {
                               if (!counted)
                                 return me->leave_and_answer(std::move(counted).error());
                               me->check();
                             });
                       });
  }

  // The reads of barrier_rule.hpp, in its order, then the rule.
  void check() {
    if (!arrived || !done)
      return;
    if (checking) {
      check_again = true;
      return;
    }
    checking = true;
    check_again = false;
    auto prefix = round_prefix(id, view.round);
    read_value(prefix + "verdict", [prefix](arrival& me, std::optional<value_state> verdict) {
      me.view.verdict.reset();
      if (verdict) {
        me.view.verdict = std::move(verdict->value);
        me.view.verdict_version = verdict->version;
      }
      me.read_value(me.id + "/round", [prefix](arrival& me2, std::optional<value_state> round) {
        auto current = number_or_zero(round, "the barrier's round");
        if (!current)
          return me2.fail(std::move(current).error());
        me2.view.current_round = static_cast<std::uint64_t>(*current);
        me2.round_version = round ? round->version : 0;
        me2.read_value(prefix + "arrived",
                       [prefix](arrival& me3, std::optional<value_state> counted) {
                         auto count = number_or_zero(counted, "the barrier's count");
                         if (!count)
                           return me3.fail(std::move(count).error());
                         me3.view.counted = *count;
                         me3.list_round(prefix + "in/");
                       });
      });
    });
  }

  void read_value(const std::string& what,
                  std::function<void(arrival&, std::optional<value_state>)> next) {
    ctx->async_read(self, store_read{read_kind::value, what, 0, 0}, std::nullopt,
                    [me = shared_from_this(), next = std::move(next)](result<read_result> got) {
                      auto state = value_or_absent(std::move(got));
                      if (!state)
                        return me->fail(std::move(state).error());
                      next(*me, std::move(*state));
                    });
  }

  void list_round(const std::string& prefix) {
    ctx->async_read(self, list_request(prefix, {}, 0), std::nullopt,
                    [me = shared_from_this()](result<read_result> got) {
                      auto page = page_of(std::move(got));
                      if (!page)
                        return me->fail(std::move(page).error());
                      me->view.listed = static_cast<std::int64_t>(page->ids.size());
                      me->view.listed_self = false;
                      for (const auto& listed : page->ids)
                        me->view.listed_self = me->view.listed_self || listed.id == me->mine();
                      // A full page holds at least max_parties participants: enough to
                      // trip, whether or not this one is on it.
                      if (page->more)
                        me->view.listed_self = true;
                      me->checking = false;
                      me->decide();
                    });
  }

  void fail(error e) {
    checking = false;
    leave_and_answer(std::move(e));
  }

  error timed_out() const {
    return error{errc::timeout, "barrier '" + id + "': not every party arrived within " +
                                    std::to_string(wait->count()) + " ms"};
  }

  void decide() {
    // Answered meanwhile (its session lapsed): a read under way must not
    // act for it, e.g. arrive again in the next round as a ghost.
    if (!done)
      return;
    auto step = next_step(view, parties);
    if (gave_up) {
      // Whatever is decided by now stands (a trip that won the race is
      // passed); else this participant breaks the round as it leaves.
      switch (step) {
        case round_step::wait:
        case round_step::record_break:
          return record("a participant's wait ran out");
        case round_step::broken:
        case round_step::late:
          return leave_and_answer(timed_out());
        default:
          break;
      }
    }
    switch (step) {
      case round_step::wait:
        if (check_again)
          check();
        return;
      case round_step::reread:
        return check();
      case round_step::pass:
        return leave_and_answer(view.round);
      case round_step::broken:
        return leave_and_answer(error{errc::broken, "barrier '" + id + "': round " +
                                                        std::to_string(view.round) +
                                                        " broke: " + *view.verdict});
      case round_step::late: {
        // Out of the decided round, into the current one.
        arrived = false;
        ctx->async_propose(self, cmd_remove{mine()}, std::nullopt,
                           [me = shared_from_this()](result<store_result>) {
                             if (me->done)
                               me->join();
                           });
        return;
      }
      case round_step::lapsed:
        arrived = false;
        return answer(
            error{errc::session_expired,
                  "barrier '" + id + "': this participant's session lapsed while waiting"});
      case round_step::record_trip:
        return record(tripped_verdict());
      case round_step::record_break:
        return record("a participant left before all " + std::to_string(parties) + " arrived");
    }
  }

  // The verdict and the next round in one transaction, only while no
  // verdict is written and the round is still the one read (a verdict that
  // arrives late never moves the round back); then the rule reads again
  // and follows whichever verdict won.
  void record(const std::string& verdict) {
    auto prefix = round_prefix(id, view.round);
    cmd_txn txn;
    txn.compares.push_back(txn_compare{prefix + "verdict", 0});
    txn.compares.push_back(txn_compare{id + "/round", round_version});
    txn.writes.push_back(txn_write{prefix + "verdict", false, verdict, {}});
    txn.writes.push_back(txn_write{
        id + "/round", false, store::encode_i64(static_cast<std::int64_t>(view.round + 1)), {}});
    if (view.round >= 2) {
      auto old = round_prefix(id, view.round - 2);
      txn.writes.push_back(txn_write{old + "verdict", true, {}, {}});
      txn.writes.push_back(txn_write{old + "arrived", true, {}, {}});
    }
    checking = true;
    ctx->async_propose(self, std::move(txn), std::nullopt,
                       [me = shared_from_this()](result<store_result> got) {
                         me->checking = false;
                         if (!got)
                           return me->fail(std::move(got).error());
                         me->check();
                       });
  }

  // Our wait ran out: the next decision breaks the round unless it was
  // decided first (decide()).
  void give_up() {
    if (!done)
      return;
    gave_up = true;
    check();
  }
};

} // namespace

void start_arrival(std::shared_ptr<context_impl> ctx, caf::scheduled_actor* self, std::string id,
                   std::int64_t parties, std::optional<std::chrono::milliseconds> wait,
                   std::function<void(result<std::uint64_t>)> done) {
  auto run = std::make_shared<arrival>();
  run->ctx = std::move(ctx);
  run->self = self;
  run->id = std::move(id);
  run->parties = parties;
  run->wait = wait;
  run->done = std::move(done);
  run->start();
}

} // namespace dref::detail

namespace dref {

void barrier::async_arrive(caf::scheduled_actor* self,
                           std::optional<std::chrono::milliseconds> wait,
                           std::function<void(result<std::uint64_t>)> done) const {
  detail::start_arrival(impl_, self, id_, parties_, wait, std::move(done));
}

} // namespace dref
