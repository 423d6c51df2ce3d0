#include "metrics.hpp"

#include <cstdio>

namespace dref::gateway {

namespace {

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

} // namespace

void metrics::request_done(const std::string& route, unsigned status,
                           std::chrono::nanoseconds took) {
  double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock{mutex_};
  ++requests_[{route, status}];
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i])
      ++buckets_[i];
  ++observed_;
  seconds_sum_ += seconds;
}

void metrics::render(std::string& out) const {
  std::lock_guard lock{mutex_};
  out += "# HELP dref_http_requests_total HTTP requests answered, by route and status code.\n"
         "# TYPE dref_http_requests_total counter\n";
  for (const auto& [key, count] : requests_)
    out += "dref_http_requests_total{route=\"" + key.first + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  out += "# HELP dref_http_request_duration_seconds Time from a complete request to its reply.\n"
         "# TYPE dref_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < bounds.size(); ++i)
    out += "dref_http_request_duration_seconds_bucket{le=\"" + number(bounds[i]) + "\"} " +
           std::to_string(buckets_[i]) + "\n";
  out += "dref_http_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(observed_) +
         "\ndref_http_request_duration_seconds_sum " + number(seconds_sum_) +
         "\ndref_http_request_duration_seconds_count " + std::to_string(observed_) + "\n";
  out += "# HELP dref_http_open_connections HTTP connections open now.\n"
         "# TYPE dref_http_open_connections gauge\n"
         "dref_http_open_connections " +
         std::to_string(open_.load()) + "\n";
  out += "# HELP dref_http_refused_connections_total Connections refused over "
         "http.max_connections.\n"
         "# TYPE dref_http_refused_connections_total counter\n"
         "dref_http_refused_connections_total " +
         std::to_string(refused_.load()) + "\n";
  out += "# HELP dref_http_open_websockets WebSocket streams open now.\n"
         "# TYPE dref_http_open_websockets gauge\n"
         "dref_http_open_websockets " +
         std::to_string(websockets_.load()) + "\n";
}

} // namespace dref::gateway
