-- The call itself, call(argv): reads answer at once; commands that depend
-- on time first expire what is due (as the store does before every
-- command), then answer a retry from the client's cached answers, or run
-- and cache the answer. r:<client> is a hash {acked, <sequence>: answer},
-- gone after the client's idle time.
local function answer(res)
  if res.err then return redis.error_reply('DREF ' .. res.err) end
  return res.ok
end

-- Answers a repeat from the cache, or runs the command and keeps its
-- answer. Acknowledged answers go in batches of 32, so that most calls pay
-- one read and one write here (and the idle timer).
local function answer_once(command, args)
  local rkey = P .. 'r:' .. CLIENT
  local known = redis.call('HMGET', rkey, 'acked', SEQ_TEXT)
  local acked = math.max(tonumber(known[1] or '0'), ACKED)
  if SEQ <= acked then
    return fail('invalid_argument', 'client ' .. CLIENT .. ': sequence ' .. SEQ_TEXT
      .. ' is at or below the acknowledged sequence ' .. acked
      .. ' (sequences start at 1; an acknowledged answer is not kept)')
  end
  if known[2] then return cmsgpack.unpack(known[2]) end
  local res = command(args)
  local stored = tonumber(known[1] or '-1')
  if stored < 0 then -- a new hash: nothing to drop
    redis.call('HSET', rkey, 'acked', ACKED, SEQ_TEXT, cmsgpack.pack(res))
  elseif ACKED >= stored + 32 then
    if ACKED - stored <= 1024 then
      local gone = {}
      for s = stored + 1, ACKED do gone[#gone + 1] = s end
      redis.call('HDEL', rkey, unpack(gone))
    else
      for _, field in ipairs(redis.call('HKEYS', rkey)) do
        local s = tonumber(field)
        if s and s <= ACKED then redis.call('HDEL', rkey, field) end
      end
    end
    redis.call('HSET', rkey, 'acked', ACKED, SEQ_TEXT, cmsgpack.pack(res))
  else
    redis.call('HSET', rkey, SEQ_TEXT, cmsgpack.pack(res))
  end
  redis.call('PEXPIRE', rkey, IDLE_MS)
  return res
end

-- Commands whose outcome depends on time: what is due expires first, as
-- the store does. Values, topics and promises do not look at the clock.
local TIMED = {session_open = true, session_keepalive = true, session_close = true,
               expire_due = true, lock_acquire = true, lock_release = true,
               lock_cancel_wait = true, delay_claim = true, delay_complete = true,
               fenced = true}

local function call(argv)
  begin(argv)
  local args = {}
  for i = 8, #argv do args[#args + 1] = argv[i] end
  if R[NAME] then return answer(R[NAME](args)) end
  local command = C[NAME]
  if not command then
    return redis.error_reply('DREF invalid_argument the dref script has no command ' .. NAME)
  end
  if TIMED[NAME] then expire_due() end
  if CLIENT == '0' then return answer(command(args)) end
  return answer(answer_once(command, args))
end
