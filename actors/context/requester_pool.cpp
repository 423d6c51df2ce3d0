#include "requester_pool.hpp"

#include <vector>

namespace dref::detail {
namespace {

// Tells the pools a thread used that it has ended.
struct thread_requesters {
  std::vector<std::weak_ptr<requester_pool>> used;
  ~thread_requesters() {
    for (auto& weak : used)
      if (auto pool = weak.lock())
        pool->drop(std::this_thread::get_id());
  }
};

thread_local thread_requesters this_thread_requesters;

} // namespace

caf::scoped_actor& requester_pool::for_this_thread() {
  std::lock_guard guard{mutex_};
  auto& slot = by_thread_[std::this_thread::get_id()];
  if (!slot) {
    slot = std::make_unique<caf::scoped_actor>(sys_, true);
    std::erase_if(this_thread_requesters.used, [](const auto& weak) { return weak.expired(); });
    this_thread_requesters.used.push_back(weak_from_this());
  }
  // Whatever waits in the mailbox is stale: the timeout CAF still delivers
  // for a request answered in time, or an answer that came too late. Left
  // there, every later receive would scan past all of them.
  auto& self = *slot;
  while (self->has_next_message())
    (void)self->dequeue();
  return self;
}

void requester_pool::drop(std::thread::id thread) {
  std::unique_ptr<caf::scoped_actor> dropped;
  std::lock_guard guard{mutex_};
  if (auto it = by_thread_.find(thread); it != by_thread_.end()) {
    dropped = std::move(it->second);
    by_thread_.erase(it);
  }
}

} // namespace dref::detail
