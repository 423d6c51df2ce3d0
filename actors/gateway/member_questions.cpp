// The actor that asks the member for the gateway's routes (contract in
// member_questions.hpp).
#include "member_questions.hpp"

#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>

namespace dref::gateway {

// What counts the questions in flight, so that drain() can wait for them.
struct member_questions::shared {
  std::mutex mutex;
  std::condition_variable settled;
  std::size_t in_flight = 0;
};

namespace {

// A question's `done`, run once by whichever of the answer and the error
// comes: then let go of at once, so that what it holds (a connection)
// is gone before drain() can see the question settled.
class pending {
public:
  pending(std::shared_ptr<member_questions::shared> counts, std::function<void(reply)> done)
      : counts_(std::move(counts))
      , done_(std::move(done)) {}

  template <class Result, class Answer>
  void settle(const Answer& answer, Result got, const std::string& route) {
    reply out;
    try {
      out = answer(std::move(got));
    } catch (const std::exception& ex) {
      out = error_reply(500, "internal", ex.what());
    }
    out.route = route;
    {
      auto done = std::exchange(done_, nullptr);
      done(std::move(out));
    }
    std::lock_guard lock{counts_->mutex};
    if (--counts_->in_flight == 0)
      counts_->settled.notify_all();
  }

private:
  std::shared_ptr<member_questions::shared> counts_;
  std::function<void(reply)> done_;
};

struct asked_read {
  read_question question;
  std::shared_ptr<pending> waiting;
};
struct asked_write {
  write_question question;
  std::shared_ptr<pending> waiting;
};

} // namespace
} // namespace dref::gateway

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::gateway::asked_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dref::gateway::asked_write)

namespace dref::gateway {
namespace {

using namespace protocol;

using sweep_atom = caf::atom_constant<caf::atom("qsweep")>;

// A question sent to the node and not answered yet.
struct open_question {
  std::chrono::steady_clock::time_point deadline;
  std::function<void(error)> give_up; // settles it with this error
};

struct asker_state {
  // The proposals' numbering, as a context numbers its own (store_proposal).
  std::uint64_t client_id = 0;
  std::uint64_t last_sequence = 0;
  std::set<std::uint64_t> outstanding;
  // The questions in flight by number, so also by deadline (one timeout for
  // all). They are timed here rather than by CAF: a request with a timeout
  // puts two events on CAF's clock thread and wakes it, per question (a
  // fifth of the leader's CPU per read); one sweep at the oldest deadline
  // does for all.
  std::uint64_t last_question = 0;
  std::map<std::uint64_t, open_question> open;
  bool sweep_armed = false;
  static inline const char* name = "dref.gateway.questions";
};
using asker_actor = caf::stateful_actor<asker_state>;

// The sweep comes at the oldest question's deadline, and at most this often.
constexpr std::chrono::milliseconds sweep_granularity{10};

void arm_sweep(asker_actor* self) {
  auto& st = self->state;
  if (st.sweep_armed || st.open.empty())
    return;
  st.sweep_armed = true;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.open.begin()->second.deadline - std::chrono::steady_clock::now());
  self->delayed_send(self, std::max(wait, sweep_granularity), sweep_atom::value);
}

std::uint64_t open(asker_actor* self, std::chrono::milliseconds timeout,
                   std::function<void(error)> give_up) {
  auto& st = self->state;
  auto number = ++st.last_question;
  st.open.emplace(number,
                  open_question{std::chrono::steady_clock::now() + timeout, std::move(give_up)});
  arm_sweep(self);
  return number;
}

// True for the first of the answer and the sweep: it settles the question.
bool take(asker_actor* self, std::uint64_t number) {
  return self->state.open.erase(number) != 0;
}

void give_up_due(asker_actor* self, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  while (!st.open.empty() && st.open.begin()->second.deadline <= now) {
    auto give_up = std::move(st.open.begin()->second.give_up);
    st.open.erase(st.open.begin());
    give_up(error{errc::timeout,
                  "the member did not answer within " + std::to_string(timeout.count()) + " ms"});
  }
}

// A member's reply (an optional error and a value) as a result.
template <class Value, class Reply>
result<Value> outcome_of(Reply& got) {
  if (got.error)
    return std::move(*got.error);
  return std::move(got.value);
}

std::uint64_t random_client_id() {
  std::random_device device;
  return ((std::uint64_t{device()} << 32) ^ device()) | 1;
}

caf::behavior asker(asker_actor* self, caf::actor node, std::chrono::milliseconds timeout) {
  self->state.client_id = random_client_id();
  // Without the node no answer comes: every question is settled now.
  self->monitor(node);
  self->set_down_handler([self](caf::down_msg& down) {
    auto open = std::exchange(self->state.open, {});
    for (auto& [number, question] : open)
      question.give_up(
          error{errc::unavailable, "the member stopped: " + caf::to_string(down.reason)});
  });
  return {
      [=](asked_read& asked) {
        auto question = std::make_shared<read_question>(std::move(asked.question));
        auto waiting = std::move(asked.waiting);
        auto settle = [question, waiting](result<read_result> got) {
          waiting->settle(question->answer, std::move(got), question->route);
        };
        auto number = open(self, timeout, settle);
        auto answered = [self, number, settle](store_read_reply& got) {
          if (take(self, number))
            settle(outcome_of<read_result>(got));
        };
        auto failed = [self, number, settle](caf::error& err) {
          if (take(self, number))
            settle(from_caf_error(err));
        };
        if (question->local)
          self->request(node, caf::infinite, read_atom::value, local_atom::value, question->read)
              .then(answered, failed);
        else
          self->request(node, caf::infinite, read_atom::value, question->read)
              .then(answered, failed);
      },
      [=](asked_write& asked) {
        auto& st = self->state;
        auto sequence = ++st.last_sequence;
        st.outstanding.insert(sequence);
        store_proposal proposal{st.client_id, sequence, *st.outstanding.begin() - 1, 0,
                                std::move(asked.question.command)};
        auto question = std::make_shared<write_question>(std::move(asked.question));
        auto waiting = std::move(asked.waiting);
        // The store keeps this sequence's answer for a retry until it is
        // acknowledged, that is until every earlier one is answered too.
        auto settle = [self, sequence, question, waiting](result<store_result> got) {
          self->state.outstanding.erase(sequence);
          waiting->settle(question->answer, std::move(got), question->route);
        };
        auto number = open(self, timeout, settle);
        self->request(node, caf::infinite, propose_atom::value, std::move(proposal))
            .then(
                [self, number, settle](store_reply& got) {
                  if (take(self, number))
                    settle(outcome_of<store_result>(got));
                },
                [self, number, settle](caf::error& err) {
                  if (take(self, number))
                    settle(from_caf_error(err));
                });
      },
      [=](sweep_atom) {
        self->state.sweep_armed = false;
        give_up_due(self, timeout);
        arm_sweep(self);
      },
  };
}

} // namespace

member_questions::member_questions(caf::actor_system& sys, const caf::actor& node,
                                   std::chrono::milliseconds timeout)
    : shared_(std::make_shared<shared>())
    , asker_(std::make_unique<caf::actor>(sys.spawn<caf::hidden>(asker, node, timeout))) {}

member_questions::~member_questions() {
  drain();
  caf::anon_send_exit(*asker_, caf::exit_reason::user_shutdown);
}

void member_questions::ask(read_question question, std::function<void(reply)> done) {
  {
    std::lock_guard lock{shared_->mutex};
    ++shared_->in_flight;
  }
  caf::anon_send(*asker_, asked_read{std::move(question),
                                     std::make_shared<pending>(shared_, std::move(done))});
}

void member_questions::ask(write_question question, std::function<void(reply)> done) {
  {
    std::lock_guard lock{shared_->mutex};
    ++shared_->in_flight;
  }
  caf::anon_send(*asker_, asked_write{std::move(question),
                                      std::make_shared<pending>(shared_, std::move(done))});
}

void member_questions::drain() {
  std::unique_lock lock{shared_->mutex};
  shared_->settled.wait(lock, [this] { return shared_->in_flight == 0; });
}

} // namespace dref::gateway
