-- Topics: t:<id> is a stream whose entry ids are <seq>-0, so that a reader
-- replays from any sequence number with XRANGE; tm:<id> is a hash
-- {next_seq, max_messages, max_bytes, bytes}. Retention drops the oldest
-- messages beyond the topic's (or the store's) bounds.
local function tkey(id) return P .. 't:' .. id end
local function tmkey(id) return P .. 'tm:' .. id end
local function effective(configured, limit)
  if configured == 0 then return limit end
  return configured
end
local function entry_seq(entry_id) return tonumber(string.match(entry_id, '^(%d+)')) end

-- bytes: the retained bytes, counting a message just added; stored here.
local function enforce_retention(id, max_messages, max_bytes, bytes)
  local key = tkey(id)
  local count = redis.call('XLEN', key)
  while count > 0 and (count > max_messages or bytes > max_bytes) do
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
    redis.call('XDEL', key, oldest[1])
    bytes = bytes - #oldest[2][2]
    count = count - 1
  end
  redis.call('HSET', tmkey(id), 'bytes', bytes)
end

-- ARGV: topic, message, the store's retention limits (messages, bytes).
C.publish = function(a)
  local id, message = a[1], a[2]
  local meta = redis.call('HMGET', tmkey(id), 'next_seq', 'max_messages', 'max_bytes', 'bytes')
  local max_bytes = effective(tonumber(meta[3] or '0'), tonumber(a[4]))
  if #message > max_bytes then
    return fail('limit_exceeded', 'message of ' .. #message .. " bytes exceeds the retention of topic '"
                                    .. id .. "' (" .. max_bytes .. ' bytes)')
  end
  local seq = tonumber(meta[1] or '1')
  redis.call('XADD', tkey(id), seq .. '-0', 'm', message)
  redis.call('HSET', tmkey(id), 'next_seq', seq + 1)
  enforce_retention(id, effective(tonumber(meta[2] or '0'), tonumber(a[3])), max_bytes,
                    tonumber(meta[4] or '0') + #message)
  emit(E.topic_published, id, {o = seq - 1, n = seq, x = seq, pt = FULL, p = message})
  return ok('published', seq)
end

-- ARGV: topic, max messages, max bytes (0: the store's limit; checked
-- against the limits by the caller), the store's limits (messages, bytes).
C.topic_configure = function(a)
  local id = a[1]
  redis.call('HSETNX', tmkey(id), 'next_seq', 1)
  redis.call('HSET', tmkey(id), 'max_messages', a[2], 'max_bytes', a[3])
  enforce_retention(id, effective(tonumber(a[2]), tonumber(a[4])),
                    effective(tonumber(a[3]), tonumber(a[5])),
                    tonumber(redis.call('HGET', tmkey(id), 'bytes') or '0'))
  return ok('done')
end
