#pragma once
// The Lua source of dref's store in Redis, one chunk per area (lua/<area>.lua,
// compiled in at build time), joined in this order into one script
// (store_script.hpp). Later chunks use the helpers of earlier ones.

#include <string_view>

namespace dref::redis::lua {

std::string_view prelude();  // arguments, time, versions, events, errors
std::string_view values();   // create, set, cas, remove, metadata, add_i64
std::string_view locks();    // FIFO locks with fencing tokens
std::string_view sessions(); // open, keepalive, close, expiry
std::string_view topics();   // ordered messages with retention
std::string_view promises(); // promises and delays
std::string_view reads();    // reads of every kind
std::string_view retries();  // the retry-answer cache, bounded as the store's
std::string_view dispatch(); // expiry, the call itself

} // namespace dref::redis::lua
