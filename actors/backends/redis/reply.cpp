#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace dref::redis {

reply from_hiredis(const redisReply& raw) {
  reply out;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::text;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = raw.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(raw.elements);
      for (std::size_t i = 0; i < raw.elements; ++i)
        out.elements.push_back(from_hiredis(*raw.element[i]));
      break;
    default:
      out.type = reply::kind::nil;
  }
  return out;
}

} // namespace dref::redis
