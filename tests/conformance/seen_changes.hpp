#pragma once
// The changes one watcher saw (on_change runs on the backend's threads),
// safe to read from the test thread.

#include "dref/change.hpp"

#include <mutex>
#include <vector>

namespace dref::test {

struct seen_changes {
  std::mutex mutex;
  std::vector<change<int>> all;
  void add(const change<int>& c) {
    std::lock_guard guard{mutex};
    all.push_back(c);
  }
  std::vector<change<int>> copy() {
    std::lock_guard guard{mutex};
    return all;
  }
  std::size_t size() { return copy().size(); }
};

} // namespace dref::test
