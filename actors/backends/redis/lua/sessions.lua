-- Sessions: s:<id> is a hash {ttl, deadline} whose key TTL is the deadline
-- (renewed by keepalive); deadlines is a sorted set of sessions by deadline
-- in Redis time. Ending a lapsed session is the sweep's work (every command
-- that depends on time, and each backend's tick), not the key TTL's: Redis
-- expires a key without running anything, and the locks and delay runs of
-- a lapsed session must pass on, with their events, in the same step. The
-- sweep needs nothing of s:<id>, so it may already be gone.
local function dkey(id) return P .. 'd:' .. id end

end_session = function(session, expired)
  drop_lock_holdings(session, expired)
  drop_owned_values(session)
  for _, delay_id in ipairs(redis.call('SMEMBERS', P .. 'sr:' .. session)) do
    redis.call('HSET', dkey(delay_id), 'runner', '')
    emit(E.delay_released, delay_id, {s = session})
  end
  redis.call('DEL', P .. 'sr:' .. session, skey(session))
  redis.call('ZREM', P .. 'deadlines', session)
  emit(expired and E.session_expired or E.session_closed, session, {s = session})
end

-- At most this many per call, so that no script runs long; the ticks
-- sweep what is left.
local function expire_due()
  local due = redis.call('ZRANGEBYSCORE', P .. 'deadlines', '-inf', now(), 'LIMIT', 0, 64)
  for _, session in ipairs(due) do end_session(session, true) end
end

-- ARGV: session, ttl in ms (checked against the limits by the caller).
C.session_open = function(a)
  local session, ttl = a[1], tonumber(a[2])
  if live(session) then
    return fail('already_exists', "session '" .. session .. "' is open already")
  end
  local deadline = now() + ttl
  redis.call('HSET', skey(session), 'ttl', ttl, 'deadline', deadline)
  redis.call('ZADD', P .. 'deadlines', deadline, session)
  redis.call('PEXPIREAT', skey(session), deadline)
  redis.call('SET', P .. 'now', now())
  emit(E.session_opened, session, {s = session, x = deadline})
  return ok('session', deadline)
end

-- ARGV: session.
C.session_keepalive = function(a)
  local session = a[1]
  if not live(session) then return session_missing(session) end
  local ttl = redis.call('HGET', skey(session), 'ttl')
  local deadline = now() + tonumber(ttl)
  redis.call('HSET', skey(session), 'deadline', deadline)
  redis.call('ZADD', P .. 'deadlines', deadline, session)
  redis.call('PEXPIREAT', skey(session), deadline)
  redis.call('SET', P .. 'now', now())
  return ok('session', deadline)
end

-- ARGV: session.
C.session_close = function(a)
  if not live(a[1]) then return session_missing(a[1]) end
  end_session(a[1], false)
  return ok('done')
end

-- Moves time forward: the sweep before every command did the work.
C.expire_due = function() return ok('done') end
