// The conformance suites' commands as a dref-node plugin (dref/plugin.hpp).
#include "dref/plugin.hpp"
#include "test_commands.hpp"

DREF_COMMANDS_PLUGIN(commands) {
  dref::test::register_test_commands(commands);
}
