// The call itself: reads answer at once; commands first expire what is due
// (as the store does before every command), then answer a retry from the
// client's cached answers, or run and cache the answer. r:<client> is a
// hash {acked, <sequence>: answer}, gone after the client's idle time.
#include "redis/lua/chunks.hpp"

namespace dref::redis::lua {

std::string_view dispatch() {
  return R"lua(
local args = {}
for i = 8, #ARGV do args[#args + 1] = ARGV[i] end

local function answer(res)
  if res.err then return redis.error_reply('DREF ' .. res.err) end
  return res.ok
end

if R[NAME] then return answer(R[NAME](args)) end
local command = C[NAME]
if not command then
  return redis.error_reply('DREF invalid_argument the dref script has no command ' .. NAME)
end
expire_due()
if CLIENT == '0' then return answer(command(args)) end

local rkey = P .. 'r:' .. CLIENT
local acked = tonumber(redis.call('HGET', rkey, 'acked') or '0')
if ACKED > acked then
  if ACKED - acked <= 64 then
    for s = acked + 1, ACKED do redis.call('HDEL', rkey, s) end
  else
    for _, field in ipairs(redis.call('HKEYS', rkey)) do
      local s = tonumber(field)
      if s and s <= ACKED then redis.call('HDEL', rkey, field) end
    end
  end
  acked = ACKED
  redis.call('HSET', rkey, 'acked', acked)
end
if SEQ <= acked then
  return answer(fail('invalid_argument', 'client ' .. CLIENT .. ': sequence ' .. ARGV[3]
    .. ' is at or below the acknowledged sequence ' .. acked
    .. ' (sequences start at 1; an acknowledged answer is not kept)'))
end
local cached = redis.call('HGET', rkey, ARGV[3])
if cached then return answer(cmsgpack.unpack(cached)) end
local res = command(args)
redis.call('HSET', rkey, ARGV[3], cmsgpack.pack(res))
redis.call('PEXPIRE', rkey, IDLE_MS)
return answer(res)
)lua";
}

} // namespace dref::redis::lua
