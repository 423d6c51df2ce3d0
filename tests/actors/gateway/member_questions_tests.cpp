// member_questions: every question is settled exactly once, by the member's
// answer, by its own timeout when the member keeps silent, or at once when
// the member stops.

#include "dref/protocol/caf/atoms.hpp"
#include "dref/protocol/caf/type_ids.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "member_questions.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using answer_held_atom = caf::atom_constant<caf::atom("tanswer")>;

// A member that answers nothing until told to (answer_held_atom): then it
// answers every read and proposal it holds.
struct member_state {
  std::vector<caf::typed_response_promise<protocol::store_read_reply>> reads;
  std::vector<caf::typed_response_promise<protocol::store_reply>> proposals;
};

caf::behavior silent_member(caf::stateful_actor<member_state>* self) {
  return {
      [self](protocol::read_atom, const protocol::store_read&) {
        auto promise = self->make_response_promise<protocol::store_read_reply>();
        self->state.reads.push_back(promise);
        return promise;
      },
      [self](protocol::propose_atom, const protocol::store_proposal&) {
        auto promise = self->make_response_promise<protocol::store_reply>();
        self->state.proposals.push_back(promise);
        return promise;
      },
      [self](answer_held_atom) {
        for (auto& p : self->state.reads)
          p.deliver(protocol::store_read_reply{});
        for (auto& p : self->state.proposals)
          p.deliver(protocol::store_reply{});
        self->state.reads.clear();
        self->state.proposals.clear();
      },
  };
}

// What the questions' answers and `done`s saw.
struct outcomes {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::optional<errc>> errors; // nullopt for an answer
  int done = 0;

  template <class Result>
  gateway::reply answer(const Result& got) {
    std::lock_guard lock{mutex};
    errors.push_back(got ? std::nullopt : std::optional<errc>{got.error().code});
    return gateway::reply{};
  }
  void finished() {
    std::lock_guard lock{mutex};
    ++done;
    changed.notify_all();
  }
  bool wait_for_done(int count, std::chrono::milliseconds wait) {
    std::unique_lock lock{mutex};
    return changed.wait_for(lock, wait, [&] { return done >= count; });
  }
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  outcomes seen;
  caf::actor member = sys.spawn(silent_member);

  void ask_both(gateway::member_questions& questions) {
    questions.ask(gateway::read_question{protocol::store_read{protocol::read_kind::value, "a"},
                                         false,
                                         [this](result<protocol::read_result> got) {
                                           return seen.answer(got);
                                         }},
                  [this](gateway::reply) { seen.finished(); });
    questions.ask(gateway::write_question{protocol::cmd_set{"a", "v"},
                                          [this](result<protocol::store_result> got) {
                                            return seen.answer(got);
                                          }},
                  [this](gateway::reply) { seen.finished(); });
  }

  ~fixture() { caf::anon_send_exit(member, caf::exit_reason::user_shutdown); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(member_questions, fixture)

BOOST_AUTO_TEST_CASE(questions_the_member_keeps_silent_on_time_out_once) {
  gateway::member_questions questions{sys, member, 300ms};
  auto asked = std::chrono::steady_clock::now();
  ask_both(questions);
  BOOST_REQUIRE(seen.wait_for_done(2, 5s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - asked);
  BOOST_TEST(took.count() >= 300);
  BOOST_TEST(took.count() < 2000);
  // The member's late answers change nothing.
  caf::anon_send(member, answer_held_atom::value);
  std::this_thread::sleep_for(300ms);
  std::lock_guard lock{seen.mutex};
  BOOST_TEST(seen.done == 2);
  BOOST_TEST((seen.errors == std::vector<std::optional<errc>>{errc::timeout, errc::timeout}));
}

BOOST_AUTO_TEST_CASE(answers_in_time_are_the_replies) {
  gateway::member_questions questions{sys, member, 5s};
  ask_both(questions);
  std::this_thread::sleep_for(100ms);
  caf::anon_send(member, answer_held_atom::value);
  BOOST_REQUIRE(seen.wait_for_done(2, 5s));
  std::lock_guard lock{seen.mutex};
  BOOST_TEST((seen.errors == std::vector<std::optional<errc>>{std::nullopt, std::nullopt}));
}

BOOST_AUTO_TEST_CASE(questions_are_settled_at_once_when_the_member_stops) {
  gateway::member_questions questions{sys, member, 30s};
  ask_both(questions);
  std::this_thread::sleep_for(100ms);
  auto stopped = std::chrono::steady_clock::now();
  caf::anon_send_exit(member, caf::exit_reason::kill);
  BOOST_REQUIRE(seen.wait_for_done(2, 5s));
  BOOST_TEST((std::chrono::steady_clock::now() - stopped < 2s));
  std::lock_guard lock{seen.mutex};
  BOOST_TEST(
      (seen.errors == std::vector<std::optional<errc>>{errc::unavailable, errc::unavailable}));
}

BOOST_AUTO_TEST_SUITE_END()
