#pragma once
// The dashboard's stream (docs/http.md, "Streams"): one overview of the
// cluster, built every period by one thread of its own while anyone
// watches, and sent to every open dashboard stream. Building it asks the
// member and the others (cluster status), so it never runs on the socket
// thread or a route worker; streams that cannot keep up are cut off by
// their outbox.

#include "outbox.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dref::gateway {

class dashboard_feed {
public:
  // build: one overview frame (JSON text); called on the feed's thread.
  dashboard_feed(std::function<std::string()> build, std::chrono::milliseconds period);
  ~dashboard_feed(); // stops and joins the thread
  dashboard_feed(const dashboard_feed&) = delete;
  dashboard_feed& operator=(const dashboard_feed&) = delete;

  // The stream gets the next overview at once, then one every period.
  void add(const std::shared_ptr<outbox>& box);

private:
  void run();

  std::function<std::string()> build_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::weak_ptr<outbox>> boxes_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace dref::gateway
