#include "sources.hpp"

namespace dref::config::detail {

source_reading read_environment(const std::map<std::string, std::string>& env) {
  source_reading out;
  // In key-table order, so that results never depend on map order.
  for (const auto& key : all_keys()) {
    auto found = env.find(std::string{key.env});
    if (found == env.end())
      continue;
    std::string origin =
        std::string{key.env} + "=\"" + shown_value(key, found->second) + "\" (environment)";
    auto parsed = parse_text(key, found->second);
    if (auto* bad = std::get_if<std::string>(&parsed)) {
      out.problems.push_back(origin + ": " + *bad + "; allowed: " + std::string{key.allowed});
      continue;
    }
    out.assignments.push_back({&key, std::get<raw_value>(std::move(parsed)), std::move(origin)});
  }
  return out;
}

} // namespace dref::config::detail
