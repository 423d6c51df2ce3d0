#include "sources.hpp"

namespace dref::config::detail {

command_line_reading read_command_line(const std::vector<std::string>& args) {
  command_line_reading out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      out.problems.push_back("'" + arg + "' (command line): expected --key=value or --key value");
      continue;
    }
    std::string flag;
    std::string text;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(2, eq - 2);
      text = arg.substr(eq + 1);
    } else if (const key_spec* key = find_by_flag(arg.substr(2));
               key && key->kind == value_kind::boolean) {
      // A switch: --insecure alone means true; the next word is not its value.
      flag = arg.substr(2);
      text = "true";
    } else {
      flag = arg.substr(2);
      if (i + 1 >= args.size()) {
        out.problems.push_back("--" + flag + " (command line): needs a value");
        continue;
      }
      text = args[++i];
    }
    if (flag == "config") {
      out.config_path = text;
      continue;
    }
    const key_spec* key = find_by_flag(flag);
    if (!key) {
      out.problems.push_back("--" + flag + " (command line): unknown option; see --help");
      continue;
    }
    std::string origin = "--" + flag + "=" + shown_value(*key, text) + " (command line)";
    auto parsed = parse_text(*key, text);
    if (auto* bad = std::get_if<std::string>(&parsed)) {
      out.problems.push_back(origin + ": " + *bad + "; allowed: " + std::string{key->allowed});
      continue;
    }
    out.assignments.push_back({key, std::get<raw_value>(std::move(parsed)), std::move(origin)});
  }
  return out;
}

} // namespace dref::config::detail
