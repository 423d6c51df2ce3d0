#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace dref::app {

namespace {

std::mutex log_mutex;
std::string program_name = "dref";
level min_level = level::info;

const char* label(level severity) {
  switch (severity) {
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO ";
    case level::warn:
      return "WARN ";
    case level::error:
      return "ERROR";
  }
  return "?";
}

} // namespace

void set_log_name(std::string_view program) {
  std::lock_guard guard{log_mutex};
  program_name = program;
}

void set_min_level(level lowest) {
  std::lock_guard guard{log_mutex};
  min_level = lowest;
}

void log(level severity, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::lock_guard guard{log_mutex};
  if (severity < min_level)
    return;
  std::fprintf(stderr, "%s.%03dZ %s %s: %.*s\n", stamp, static_cast<int>(millis), label(severity),
               program_name.c_str(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

} // namespace dref::app
