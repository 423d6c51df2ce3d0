#pragma once
// Readable one-line logs on stderr for the apps:
//   2026-11-25T10:00:00.123Z INFO  dref-node: listening on 127.0.0.1:8082

#include <string_view>

namespace dref::app {

// In the order of dref::log_level (dref/log.hpp), which maps onto it.
enum class level { debug, info, warn, error };

void set_log_name(std::string_view program);
void set_min_level(level lowest);
void log(level severity, std::string_view message);

inline void info(std::string_view message) {
  log(level::info, message);
}
inline void warn(std::string_view message) {
  log(level::warn, message);
}
inline void fail(std::string_view message) {
  log(level::error, message);
}

} // namespace dref::app
