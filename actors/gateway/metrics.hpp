#pragma once
// The gateway's own figures for /metrics (Prometheus text format 0.0.4):
// requests by route and status code, a latency histogram, open and refused
// connections, open WebSocket streams. Safe from any thread.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace dref::gateway {

class metrics {
public:
  void request_done(const std::string& route, unsigned status, std::chrono::nanoseconds took);
  void connection_opened() { ++open_; }
  void connection_closed() { --open_; }
  void connection_refused() { ++refused_; }
  std::int64_t open_connections() const { return open_.load(); }
  // WebSocket streams (each also counts as a connection).
  void websocket_opened() { ++websockets_; }
  void websocket_closed() { --websockets_; }
  std::int64_t open_websockets() const { return websockets_.load(); }

  // Appends the gateway's series to out.
  void render(std::string& out) const;

private:
  // Upper bounds of the latency buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::array<std::uint64_t, bounds.size()> buckets_{};
  std::uint64_t observed_ = 0;
  double seconds_sum_ = 0;
  std::atomic<std::int64_t> open_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::int64_t> websockets_{0};
};

} // namespace dref::gateway
