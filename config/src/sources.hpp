#pragma once
// Each source turns its input into (key, raw value) assignments, or into
// problems that name where they came from.

#include "keys.hpp"

#include <map>
#include <string>
#include <vector>

namespace dref::config::detail {

struct assignment {
  const key_spec* key;
  raw_value value;
  std::string origin; // how the value was written, for messages: "DREF_PORT=\"x\" (environment)"
};

struct source_reading {
  std::vector<assignment> assignments;
  std::vector<std::string> problems;
};

source_reading read_toml_file(const std::string& path);
source_reading read_environment(const std::map<std::string, std::string>& env);

struct command_line_reading : source_reading {
  std::string config_path; // --config
};
command_line_reading read_command_line(const std::vector<std::string>& args);

} // namespace dref::config::detail
