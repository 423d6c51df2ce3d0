// command_bench's named command for the dref-node members (dref/plugin.hpp).
#include "dref/plugin.hpp"
#include "hot_counter.hpp"

DREF_COMMANDS_PLUGIN(commands) {
  dref::bench::register_bench_commands(commands);
}
