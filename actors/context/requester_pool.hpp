#pragma once
// The blocking actors a context's blocking calls send their requests from:
// one per thread and context, made on first use (a scoped_actor costs more
// than the request it makes) and dropped when the thread ends or the
// context goes. Hidden, so they never hold up the actor system's shutdown.

#include <caf/fwd.hpp>
#include <caf/scoped_actor.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace dref::detail {

class requester_pool : public std::enable_shared_from_this<requester_pool> {
public:
  explicit requester_pool(caf::actor_system& sys)
      : sys_(sys) {}

  // The calling thread's requester, its mailbox cleared of stale answers.
  caf::scoped_actor& for_this_thread();
  void drop(std::thread::id thread);

private:
  caf::actor_system& sys_;
  std::mutex mutex_;
  std::map<std::thread::id, std::unique_ptr<caf::scoped_actor>> by_thread_;
};

} // namespace dref::detail
