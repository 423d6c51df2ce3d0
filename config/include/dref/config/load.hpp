#pragma once
// Loading a node_config. Sources, later overriding earlier:
//   1. defaults (node_config's initializers)
//   2. a TOML file: --config PATH on the command line, or DREF_CONFIG
//   3. the environment: DREF_* variables
//   4. the command line: --key=value or --key value
// Every invalid value is reported, naming the key, the source and what is
// allowed; nothing falls back to a default silently. Unknown TOML keys and
// unknown flags are errors (they are typos more often than not); unknown
// DREF_* variables are ignored, since child processes inherit ours.

#include "dref/config/node_config.hpp"
#include "dref/protocol/result.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dref::config {

// Resolves a DNS name to all of its addresses.
using resolver = std::function<result<std::vector<std::string>>(const std::string& name)>;

// The system resolver (getaddrinfo), every address family.
result<std::vector<std::string>> resolve_with_system(const std::string& name);

struct load_inputs {
  std::vector<std::string> args;          // command line, without argv[0]
  std::map<std::string, std::string> env; // DREF_* variables (others ignored)
  dref::config::resolver resolver = resolve_with_system;
};

// The DREF_* part of this process's environment.
std::map<std::string, std::string> process_environment();

// Convenience: argc/argv (argv[0] skipped) and the process environment.
load_inputs inputs_from_main(int argc, char** argv);

result<node_config> load(const load_inputs& inputs);

// "host:port" or "[ipv6]:port" (what peers and endpoints are written as);
// errc::invalid_argument saying what is wrong.
result<endpoint> parse_endpoint(std::string_view text);

// A duration with its unit: a whole decimal number, as the integer keys take
// it, then ms, s or m ("500ms", "5s", "1m"); a bare number is refused, since
// a reader cannot tell its unit. errc::invalid_argument saying what is wrong.
result<std::chrono::milliseconds> parse_duration(std::string_view text);

// A table of every key: TOML path, environment variable, flag, what is
// allowed and its default. For --help.
std::string help_text();

} // namespace dref::config
