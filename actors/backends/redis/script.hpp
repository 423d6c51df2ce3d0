#pragma once
// Lua scripts the redis backend runs server-side, so that a check and its
// write (and the change event that goes with them) happen atomically.
// Calls go out as EVALSHA, which sends only the script's SHA1; a server
// that does not know the script (restarted, SCRIPT FLUSH, a new replica)
// answers NOSCRIPT and the call goes again as EVAL, which also caches it.

#include "redis/client.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dref::redis {

class script {
public:
  script(std::string name, std::string source);

  const std::string& name() const noexcept { return name_; }
  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; } // lower-case hex

private:
  std::string name_;
  std::string source_;
  std::string sha1_;
};

// Runs s with KEYS and ARGV on c; done gets the script's reply (a Lua
// error comes back as an error reply, like any command's). Callbacks run
// on the client's I/O thread.
void run(client& c, const script& s, std::vector<std::string> keys, std::vector<std::string> args,
         client::callback done);

// Blocking convenience for set-up code and tests.
result<reply> call(client& c, const script& s, std::vector<std::string> keys,
                   std::vector<std::string> args,
                   std::chrono::milliseconds timeout = std::chrono::seconds{5});

} // namespace dref::redis

namespace dref::redis {

// A Lua function library (Redis 7: FUNCTION LOAD, then FCALL). Unlike a
// script, whose definitions run again on every call, a library runs them
// once when it is loaded, and Redis keeps it across restarts (it is part of
// the data set). Named after its source's SHA1, so that two versions of a
// library never stand in for each other.
class function_library {
public:
  // source: Lua that ends by registering `entry` as function(keys, args).
  function_library(std::string name, std::string_view definitions, std::string_view entry);

  const std::string& function() const noexcept { return function_; }
  // The same entry, flagged no-writes (FCALL_RO): reads that a replica, or a
  // server at maxmemory, still serves.
  const std::string& read_function() const noexcept { return read_function_; }
  const std::string& source() const noexcept { return source_; }

private:
  std::string function_;
  std::string read_function_;
  std::string source_;
};

// FCALL; a server that does not have the library (new, flushed, or a
// replica promoted before it got it) says so, and the library is loaded
// and the call sent again. A server without functions (Redis before 7)
// answers "unknown command": fallback then runs the same definitions as a
// script, and is used from then on by this caller.
class function_caller {
public:
  function_caller(client& c, const function_library& library, const script& fallback);
  void run(std::vector<std::string> keys, std::vector<std::string> args, client::callback done,
           bool read_only = false);

private:
  client& client_;
  const function_library& library_;
  const script& fallback_;
  std::shared_ptr<std::atomic<bool>> scripts_only_;
};

} // namespace dref::redis
