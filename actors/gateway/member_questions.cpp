// The actor that asks the member for the gateway's routes (contract in
// member_questions.hpp).
#include "member_questions.hpp"

#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/bridge.hpp"
#include "dref/protocol/caf/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <condition_variable>
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

// The proposals' numbering, as a context numbers its own (store_proposal).
struct asker_state {
  std::uint64_t client_id = 0;
  std::uint64_t last_sequence = 0;
  std::set<std::uint64_t> outstanding;
  static inline const char* name = "dref.gateway.questions";
};

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

caf::behavior asker(caf::stateful_actor<asker_state>* self, caf::actor node,
                    std::chrono::milliseconds timeout) {
  self->state.client_id = random_client_id();
  return {
      [=](asked_read& asked) {
        auto question = std::make_shared<read_question>(std::move(asked.question));
        auto waiting = std::move(asked.waiting);
        auto answered = [question, waiting](store_read_reply& got) {
          waiting->settle(question->answer, outcome_of<read_result>(got), question->route);
        };
        auto failed = [question, waiting](caf::error& err) {
          waiting->settle(question->answer, result<read_result>{from_caf_error(err)},
                          question->route);
        };
        if (question->local)
          self->request(node, timeout, read_atom::value, local_atom::value, question->read)
              .then(answered, failed);
        else
          self->request(node, timeout, read_atom::value, question->read).then(answered, failed);
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
        auto answered = [self, sequence, question, waiting](store_reply& got) {
          self->state.outstanding.erase(sequence);
          waiting->settle(question->answer, outcome_of<store_result>(got), question->route);
        };
        auto failed = [self, sequence, question, waiting](caf::error& err) {
          self->state.outstanding.erase(sequence);
          waiting->settle(question->answer, result<store_result>{from_caf_error(err)},
                          question->route);
        };
        self->request(node, timeout, propose_atom::value, std::move(proposal))
            .then(answered, failed);
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
