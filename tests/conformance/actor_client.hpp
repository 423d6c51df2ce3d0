#pragma once
// Runs a test's requests from inside an event-based actor, the way
// application actors use dref's actor APIs.

#include "dref/protocol/result.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <functional>
#include <vector>

namespace dref::test {

// Runs body(self, finish) in a fresh event-based actor, which lives until
// body calls finish() (then it terminates). Returns the actor.
template <class Body>
caf::actor spawn_client(caf::actor_system& sys, Body body) {
  return sys.spawn([body](caf::event_based_actor* self) -> caf::behavior {
    body(self, std::function<void()>{[self] { self->quit(); }});
    return {[](int) {}};
  });
}

// Stops the actors it was given when it goes out of scope, also when a
// failed BOOST_TEST_REQUIRE leaves the test early (the actor system's
// destructor would otherwise wait for them for ever), and waits until they
// have terminated: a callback still running in one of them must not touch
// the test's locals once they are gone. So declare it after everything its
// actors refer to.
class actor_stopper {
public:
  actor_stopper() = default;
  actor_stopper(const actor_stopper&) = delete;
  actor_stopper& operator=(const actor_stopper&) = delete;
  ~actor_stopper() {
    if (actors_.empty())
      return;
    caf::scoped_actor waiter{actors_.front()->home_system()};
    for (auto& a : actors_) {
      waiter->monitor(a);
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    std::size_t down = 0;
    bool timed_out = false;
    waiter->receive_while([&] { return down < actors_.size() && !timed_out; })(
        [&](caf::down_msg&) { ++down; },
        caf::after(std::chrono::seconds(20)) >> [&] { timed_out = true; });
    if (timed_out)
      BOOST_ERROR("actor_stopper: " << actors_.size() - down << " actors did not stop within 20 s");
  }
  template <class Handle>
  Handle add(Handle a) {
    actors_.push_back(caf::actor_cast<caf::actor>(a));
    return a;
  }

private:
  std::vector<caf::actor> actors_;
};

// An on_error for a client: fails the test, sets outcome to -1 (what the
// test waits on) and ends the client.
inline auto fail_into(std::atomic<int>& outcome, std::function<void()> finish) {
  return [&outcome, finish](const error& e) {
    BOOST_ERROR("unexpected: " << e.to_string());
    outcome = -1;
    finish();
  };
}

} // namespace dref::test
