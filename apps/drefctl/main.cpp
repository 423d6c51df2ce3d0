// drefctl: the operator CLI; talks to any member of a dref cluster.
// Parses the command line (cli.cpp), runs the command (commands/) and turns
// what went wrong into the exit codes of errors.hpp.

#include "cli.hpp"
#include "commands/commands.hpp"
#include "errors.hpp"
#include "session.hpp"

#include <iostream>

namespace {

void report(const dref::error& error) {
  std::cerr << "drefctl: " << dref::to_string(error.code) << ": " << error.message << '\n';
}

} // namespace

int main(int argc, char** argv) {
  using namespace drefctl;
  catch_interrupts();
  try {
    auto parsed = parse_command_line(argc, argv);
    if (auto* help = std::get_if<help_request>(&parsed)) {
      std::cout << help->text;
      return exit_ok;
    }
    auto& [options, command] = std::get<invocation>(parsed);
    session s{std::move(options)};
    return std::visit([&s](const auto& cmd) { return run(s, cmd); }, command);
  } catch (const usage_error& e) {
    std::cerr << "drefctl: " << e.message << "\n(see drefctl --help)\n";
    return exit_usage;
  } catch (const command_failed& e) {
    report(e.error);
    return exit_code_for(e.error.code);
  } catch (const dref::error_exception& e) {
    report(e.error());
    return exit_code_for(e.error().code);
  }
}
