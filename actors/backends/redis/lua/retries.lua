-- The retry-answer cache, bounded and evicted as the store does
-- (store/include/dref/store/reply_cache.hpp: the same sizes, the same
-- order), except that idle clients go up to a second later
-- (forget_idle_clients). Keys:
--   c:<client>   hash {acked, bytes, n (answers kept), <sequence>: answer};
--                n is absent in data written before it was kept, and then
--                counted from co:<client> once
--   co:<client>  sorted set of '<sequence>:<size>' by sequence: oldest first
--   clients      sorted set of zero-padded client ids by last seen (ms), so
--                that ties go by client id as in the store
--   cached       bytes of the whole cache, each client counting
--                CLIENT_BYTES besides its answers
local ANSWER_BYTES, CLIENT_BYTES, MAX_ANSWERS = 64, 64, 4096

local function answer_size(res)
  local r = res.ok
  if not r then return ANSWER_BYTES end
  local kind, carried = r[1], 0
  if kind == 'created' or kind == 'delivered' then carried = #tostring(r[4])
  elseif kind == 'ran' then carried = #tostring(r[3])
  elseif kind == 'delay' then carried = #tostring(r[3]) + #tostring(r[4]) end
  return ANSWER_BYTES + carried
end

local function ckey(client) return P .. 'c:' .. client end
local function okey(client) return P .. 'co:' .. client end
local function padded(client) return string.rep('0', 20 - #client) .. client end
local function unpadded(member) return (string.gsub(member, '^0+', '')) end

-- Drops the client's answers up to sequence `through` (acknowledged, or
-- evicted: a retry of one is refused either way) and moves acked there.
-- Returns the bytes and the number of answers dropped. `kept` is the
-- client's {bytes, count} before the drop when the caller has just read
-- them (read here otherwise).
local function drop_through(client, through, kept)
  local gone = redis.call('ZRANGEBYSCORE', okey(client), '-inf', through)
  local bytes = 0
  local i = 1
  while i <= #gone do -- in slices: unpack() of many values overflows Lua's C stack
    local fields = {}
    for j = i, math.min(i + 999, #gone) do
      local seq, size = string.match(gone[j], '^(%d+):(%d+)$')
      fields[#fields + 1] = seq
      bytes = bytes + tonumber(size)
    end
    redis.call('HDEL', ckey(client), unpack(fields))
    i = i + 1000
  end
  if #gone == 0 then
    redis.call('HSET', ckey(client), 'acked', through)
    return 0, 0
  end
  redis.call('ZREMRANGEBYSCORE', okey(client), '-inf', through)
  local left
  if kept then
    left = kept.count - #gone
  else
    local got = redis.call('HMGET', ckey(client), 'bytes', 'n')
    kept = {bytes = tonumber(got[1])}
    left = got[2] and tonumber(got[2]) - #gone or redis.call('ZCARD', okey(client))
  end
  redis.call('HSET', ckey(client), 'acked', through, 'bytes', kept.bytes - bytes, 'n', left)
  redis.call('DECRBY', P .. 'cached', bytes)
  return bytes, #gone
end

local function forget_client(client)
  local bytes = tonumber(redis.call('HGET', ckey(client), 'bytes') or '0')
  redis.call('DEL', ckey(client), okey(client))
  redis.call('ZREM', P .. 'clients', padded(client))
  redis.call('DECRBY', P .. 'cached', CLIENT_BYTES + bytes)
end

-- When this library last looked for idle clients, by key prefix. It looks
-- at most once per IDLE_MS or second, whichever is shorter: a client is
-- forgotten up to a second later than the store would (keeping its answers
-- longer is always safe), and most calls save a ZRANGEBYSCORE. A function
-- library keeps this from call to call; a script sent by EVALSHA starts
-- without it and looks on every call.
local last_sweep = {}

-- Clients silent for longer than IDLE_MS, at most 64 per call (as the
-- session sweep).
local function forget_idle_clients()
  local t, last = now(), last_sweep[P]
  if last and t >= last and t - last < math.min(IDLE_MS, 1000) then return end
  last_sweep[P] = t
  local idle = redis.call('ZRANGEBYSCORE', P .. 'clients', '-inf', '(' .. (now() - IDLE_MS),
                          'LIMIT', 0, 64)
  for _, member in ipairs(idle) do forget_client(unpadded(member)) end
end

-- The calling client, seen now, in one read: its acked, the bytes and
-- number of its answers kept, and its cached answer to SEQ (or false).
-- Every write goes through here, so each command saved counts (bench/redis).
local function seen_client()
  local got = redis.call('HMGET', ckey(CLIENT), 'acked', 'bytes', 'n', SEQ_TEXT)
  local acked, bytes, count, cached = got[1], got[2], got[3], got[4]
  if not acked then
    redis.call('HSET', ckey(CLIENT), 'acked', 0, 'bytes', 0, 'n', 0)
    redis.call('INCRBY', P .. 'cached', CLIENT_BYTES)
    acked, bytes, count = '0', '0', 0
  elseif not count then
    count = redis.call('ZCARD', okey(CLIENT))
  end
  redis.call('ZADD', P .. 'clients', now(), padded(CLIENT))
  return {acked = tonumber(acked), bytes = tonumber(bytes), count = tonumber(count),
          cached = cached}
end

-- Keeps res as the answer to SEQ; client is what seen_client() returned,
-- with the caller's drops taken off.
local function cache_answer(res, client)
  local size = answer_size(res)
  local bytes, count = client.bytes + size, client.count + 1
  redis.call('HSET', ckey(CLIENT), SEQ_TEXT, cmsgpack.pack(res), 'bytes', bytes, 'n', count)
  redis.call('ZADD', okey(CLIENT), SEQ, SEQ_TEXT .. ':' .. size)
  local total = redis.call('INCRBY', P .. 'cached', size)
  while count > 0 and (count > MAX_ANSWERS or bytes > MAX_CLIENT_BYTES) do
    local oldest = redis.call('ZRANGE', okey(CLIENT), 0, 0)[1]
    local dropped = drop_through(CLIENT, tonumber(string.match(oldest, '^(%d+):')),
                                 {bytes = bytes, count = count})
    bytes, total, count = bytes - dropped, total - dropped, count - 1
  end
  -- Then the least recently seen clients' caches, then those clients; the
  -- caller keeps its entry, so its acked stays known.
  local at = 0
  while total > MAX_BYTES do
    local member = redis.call('ZRANGE', P .. 'clients', at, at)[1]
    if not member then break end
    local other = unpadded(member)
    local newest = redis.call('ZRANGE', okey(other), -1, -1)[1]
    if newest then
      total = total - drop_through(other, tonumber(string.match(newest, '^(%d+):')))
      at = at + 1
    elseif other ~= CLIENT then
      total = total - CLIENT_BYTES - tonumber(redis.call('HGET', ckey(other), 'bytes') or '0')
      forget_client(other)
    else
      at = at + 1
    end
  end
end

-- Answers a repeat from the cache, or runs the command and keeps its
-- answer (unless it says uncached: nothing changed, and the repeat should
-- run again).
local function answer_once(command, args)
  forget_idle_clients()
  local client = seen_client()
  if ACKED > client.acked then
    local bytes, count = drop_through(CLIENT, ACKED, client)
    client.acked, client.bytes, client.count = ACKED, client.bytes - bytes, client.count - count
  end
  if SEQ <= client.acked then
    return fail('invalid_argument', 'client ' .. CLIENT .. ': sequence ' .. SEQ_TEXT
      .. ' is at or below the acknowledged sequence ' .. client.acked
      .. ' (sequences start at 1; an acknowledged answer is not kept, nor one dropped to '
      .. 'bound the retry cache)')
  end
  if client.cached then return cmsgpack.unpack(client.cached) end
  local res = command(args)
  if not res.uncached then cache_answer(res, client) end
  return res
end
