#pragma once
// drefctl's command line: the commands, their arguments and flags, and the
// help that lists them (defined with CLI11 in cli.cpp).

#include "invocation.hpp"

#include <string>
#include <variant>

namespace drefctl {

// --help, -h or the help command: the text to print, exit code 0.
struct help_request {
  std::string text;
};

// What to run, or the help asked for. A malformed command line throws
// usage_error saying what is wrong. The endpoints default to
// $DREF_ENDPOINTS, else 127.0.0.1:$DREF_PORT, else 127.0.0.1:8082.
std::variant<invocation, help_request> parse_command_line(int argc, const char* const* argv);

} // namespace drefctl
