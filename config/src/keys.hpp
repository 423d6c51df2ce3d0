#pragma once
// The table of configuration keys, shared by every source: each key knows
// its TOML path, environment variable and flag, the shape of its value and
// how to check and store it.

#include "dref/config/node_config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dref::config::detail {

enum class value_kind { text, integer, text_list, boolean };

// A value as a source delivered it: environment and command line give text,
// TOML gives typed values.
using raw_value = std::variant<std::string, std::int64_t, std::vector<std::string>, bool>;

struct key_spec {
  std::string_view toml_path; // "node.port"
  std::string_view env;       // "DREF_PORT"
  std::string_view flag;      // "port" for --port
  value_kind kind;
  std::string_view allowed; // "a port number 1-65535"
  std::string_view help;
  // Checks and stores a value of `kind`; returns what is wrong, if anything.
  std::optional<std::string> (*assign)(node_config&, const raw_value&);
  std::string (*current)(const node_config&); // for --help defaults
  // A password or passphrase: messages name where it came from, never its value.
  bool secret = false;
};

// How a source names where a value came from, e.g. DREF_PORT="x": the value
// itself is left out of a secret key's.
std::string shown_value(const key_spec& key, std::string_view text);

std::span<const key_spec> all_keys();
const key_spec* find_by_toml_path(std::string_view path);
const key_spec* find_by_env(std::string_view name);
const key_spec* find_by_flag(std::string_view flag);

// Turns environment/command-line text into the key's kind: integers must be
// decimal and whole, lists are comma-separated with no empty items, booleans
// are true, false, 1 or 0.
std::variant<raw_value, std::string> parse_text(const key_spec& key, std::string_view text);

// "host:port" or "[v6]:port"; the error says what is wrong.
std::variant<endpoint, std::string> parse_endpoint(std::string_view text);

// A whole decimal number, as integer keys take it, then a unit: ms, s or m.
std::variant<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

} // namespace dref::config::detail
