#include "dref/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace dref {
namespace {

std::mutex sink_mutex;
log_sink current_sink;

void to_stderr(log_level, std::string_view message) {
  std::string line = "dref: ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace

void set_log_sink(log_sink sink) {
  std::lock_guard guard{sink_mutex};
  current_sink = std::move(sink);
}

void log(log_level level, std::string_view message) {
  std::lock_guard guard{sink_mutex};
  if (current_sink)
    current_sink(level, message);
  else
    to_stderr(level, message);
}

} // namespace dref
