// The only file that includes toml++: it is a heavy header.
#include "sources.hpp"

#include <toml++/toml.h>

namespace dref::config::detail {

namespace {

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string where(const std::string& path, const toml::node& node) {
  const auto& begin = node.source().begin;
  return "file " + path + ", line " + std::to_string(begin.line);
}

} // namespace

source_reading read_toml_file(const std::string& path) {
  source_reading out;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    const auto& begin = err.source().begin;
    std::string message{err.description()};
    if (begin.line == 0) // toml++ reports unreadable files without a position
      out.problems.push_back("cannot read config file " + path + ": " + message);
    else
      out.problems.push_back("config file " + path + ", line " + std::to_string(begin.line) +
                             ", column " + std::to_string(begin.column) +
                             ": not valid TOML: " + message);
    return out;
  }
  for (auto&& [section_name, section] : root) {
    auto* table = section.as_table();
    if (!table) {
      out.problems.push_back(
          std::string{section_name.str()} + " (" + where(path, section) +
          "): unknown key; settings live in the sections [node], "
          "[cluster], [redis], [timeouts], [limits], [tls] and [failpoints] (tests only)");
      continue;
    }
    for (auto&& [name, node] : *table) {
      std::string toml_path = std::string{section_name.str()} + "." + std::string{name.str()};
      const key_spec* key = find_by_toml_path(toml_path);
      if (!key) {
        out.problems.push_back(toml_path + " (" + where(path, node) +
                               "): unknown key; see --help for the known keys");
        continue;
      }
      std::string origin = toml_path + " (" + where(path, node) + ")";
      std::string expected;
      raw_value value;
      switch (key->kind) {
        case value_kind::text:
          if (auto text = node.value<std::string>(); text && node.is_string())
            value = *text;
          else
            expected = "a string";
          break;
        case value_kind::integer:
          if (node.is_integer())
            value = node.as_integer()->get();
          else
            expected = "an integer";
          break;
        case value_kind::boolean:
          if (node.is_boolean())
            value = node.as_boolean()->get();
          else
            expected = "a boolean";
          break;
        case value_kind::text_list: {
          auto* array = node.as_array();
          std::vector<std::string> items;
          if (array) {
            for (auto&& item : *array) {
              if (!item.is_string()) {
                array = nullptr;
                break;
              }
              items.push_back(*item.value<std::string>());
            }
          }
          if (array)
            value = std::move(items);
          else
            expected = "an array of strings";
          break;
        }
      }
      if (!expected.empty()) {
        out.problems.push_back(origin + ": expected " + expected + ", found " + type_name(node) +
                               "; allowed: " + std::string{key->allowed});
        continue;
      }
      out.assignments.push_back({key, std::move(value), std::move(origin)});
    }
  }
  return out;
}

} // namespace dref::config::detail
