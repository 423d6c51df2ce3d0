#pragma once
// A Redis reply as a plain value, copied out of hiredis' reply tree.

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace dref::redis {

struct reply {
  enum class kind { nil, integer, text, status, error, array };
  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string text; // bulk string, status or error message
  std::vector<reply> elements;

  bool is_error() const noexcept { return type == kind::error; }
  friend bool operator==(const reply&, const reply&) = default;
};

reply from_hiredis(const redisReply& raw);

} // namespace dref::redis
