#pragma once
// A route's question to its member that needs no thread to wait on it: one
// store read or one proposal, sent by a CAF actor, the reply made from the
// member's answer on that actor's thread. The socket thread hands questions
// over and goes on (server.cpp), so the hot routes (GET, PUT and DELETE on
// /v1/refs/{id}, POST .../add) skip the hand-off to a route worker and back.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "exchange.hpp"

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace dref::gateway {

// A read: linearizable, or (local) from this member's applied state.
struct read_question {
  protocol::store_read read;
  bool local = false;
  std::function<reply(result<protocol::read_result>)> answer;
  std::string route = "unknown";
};

// One command, proposed under the questions' own client id: a retry inside
// the cluster (a leader change) takes effect at most once.
struct write_question {
  protocol::store_command command;
  std::function<reply(result<protocol::store_result>)> answer;
  std::string route = "unknown";
};

class member_questions {
public:
  member_questions(caf::actor_system& sys, const caf::actor& node,
                   std::chrono::milliseconds timeout);
  ~member_questions(); // drains, then stops the actor
  member_questions(const member_questions&) = delete;
  member_questions& operator=(const member_questions&) = delete;

  // Sends the question and returns. `done` then runs once, on a CAF thread,
  // with the question's answer (its route set): made from the member's
  // answer, or from the error when there is none within the timeout; a 500
  // when `answer` throws. Thread-safe.
  void ask(read_question question, std::function<void(reply)> done);
  void ask(write_question question, std::function<void(reply)> done);
  // Returns once every `done` has run and let go of what it held: a
  // question is answered within the timeout, so this waits that long at most.
  void drain();

  struct shared;

private:
  std::shared_ptr<shared> shared_;
  std::unique_ptr<caf::actor> asker_; // caf::actor is only declared here
};

} // namespace dref::gateway
