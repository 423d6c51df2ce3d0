#pragma once
// Lua scripts the redis backend runs server-side, so that a check and its
// write (and the change event that goes with them) happen atomically.
// Calls go out as EVALSHA, which sends only the script's SHA1; a server
// that does not know the script (restarted, SCRIPT FLUSH, a new replica)
// answers NOSCRIPT and the call goes again as EVAL, which also caches it.

#include "redis/client.hpp"

#include <chrono>
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
