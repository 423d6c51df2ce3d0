option(DREF_WERROR "Treat warnings as errors" OFF)
option(DREF_BUILD_TESTS "Build the test suites" ON)
option(DREF_BUILD_BENCH "Build the benchmarks" ON)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# RelWithDebInfo keeps line tables only (-g1): backtraces, perf and the
# sanitizers name functions and lines; a debugger shows no locals. Full
# debug information cost a quarter more compile time per file, and made
# the gateway's server.cpp (Beast's HTTP, WebSocket and TLS templates) take
# over 6 minutes of a core instead of 104 s. Debug builds, or this option,
# keep -g. It comes after CMAKE_CXX_FLAGS_RELWITHDEBINFO's -g on
# the command line, so it wins.
option(DREF_FULL_DEBUG_INFO "Full debug information (-g) in RelWithDebInfo builds" OFF)
if(NOT DREF_FULL_DEBUG_INFO)
  add_compile_options($<$<CONFIG:RelWithDebInfo>:-g1>)
endif()

# Debug information once per object (.dwo beside it) instead of copied into
# each of the ~50 executables that link the same libraries, compressed, and
# no assembly through /tmp: a full build took ~9 GB of disk before (~130 MB
# per test executable), more than a CI machine had.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  add_compile_options(-pipe $<$<CONFIG:RelWithDebInfo,Debug>:-gsplit-dwarf>
                      $<$<CONFIG:RelWithDebInfo,Debug>:-gz>)
  add_link_options($<$<CONFIG:RelWithDebInfo,Debug>:-gz>)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()
