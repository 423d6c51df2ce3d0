-- Promises: p:<id> is a hash {value, version} once delivered. Delays: d:<id>
-- is a hash {runner, completed, value, version}; sr:<session> the delays a
-- session runs (released when it ends).
local function pkey(id) return P .. 'p:' .. id end

-- ARGV: id, value. Only the first delivery counts.
C.promise_deliver = function(a)
  local id, value = a[1], a[2]
  local got = redis.call('HMGET', pkey(id), 'value', 'version')
  if got[2] then return ok('delivered', 0, tonumber(got[2]), got[1]) end
  local version = index()
  redis.call('HSET', pkey(id), 'value', value, 'version', version)
  emit(E.promise_delivered, id, {pt = FULL, p = value})
  return ok('delivered', 1, version, '')
end

-- delay_claim_state's numbers.
local RUN_BODY, RUNNING, COMPLETED, REQUESTED = 0, 1, 2, 3

-- ARGV: id, session. The first live session to claim runs the body.
C.delay_claim = function(a)
  local id, session = a[1], a[2]
  local d = redis.call('HMGET', dkey(id), 'runner', 'completed', 'value')
  local runner = d[1] or ''
  if d[2] == '1' then return ok('delay', COMPLETED, runner, d[3] or '') end
  if not live(session) then return session_missing(session) end
  if runner ~= '' then
    return ok('delay', runner == session and RUN_BODY or RUNNING, runner, '')
  end
  redis.call('HSET', dkey(id), 'runner', session)
  redis.call('SADD', P .. 'sr:' .. session, id)
  emit(E.delay_claimed, id, {s = session})
  return ok('delay', RUN_BODY, session, '')
end

-- Why `session` may not complete or fail delay id, or nil when it may.
local function not_run_by(id, session)
  local d = redis.call('HMGET', dkey(id), 'runner', 'completed')
  if d[2] == '1' then return fail('already_delivered', "delay '" .. id .. "' is completed already") end
  local runner = d[1] or ''
  if runner == session then return nil end
  local why = " (session '" .. runner .. "' runs it)"
  if runner == '' then why = ' (nobody claimed it)' end
  return fail('not_holder', "delay '" .. id .. "' is not being run by session '" .. session
                              .. "'" .. why)
end

-- ARGV: id, session, value.
C.delay_complete = function(a)
  local id, session, value = a[1], a[2], a[3]
  local refused = not_run_by(id, session)
  if refused then return refused end
  local version = index()
  redis.call('HSET', dkey(id), 'completed', 1, 'value', value, 'version', version)
  redis.call('SREM', P .. 'sr:' .. session, id)
  emit(E.delay_completed, id, {s = session, pt = FULL, p = value})
  return ok('written', version)
end

-- ARGV: id. A get without a body asks the body-holders for a run.
C.delay_request = function(a)
  local id = a[1]
  local d = redis.call('HMGET', dkey(id), 'runner', 'completed', 'value')
  local runner = d[1] or ''
  if d[2] == '1' then return ok('delay', COMPLETED, runner, d[3] or '') end
  if runner ~= '' then return ok('delay', RUNNING, runner, '') end
  emit(E.delay_requested, id, {})
  return ok('delay', REQUESTED, '', '')
end

-- ARGV: id, session, message. The runner's body failed: unclaimed again.
C.delay_fail = function(a)
  local id, session, message = a[1], a[2], a[3]
  local refused = not_run_by(id, session)
  if refused then return refused end
  redis.call('HSET', dkey(id), 'runner', '')
  redis.call('SREM', P .. 'sr:' .. session, id)
  emit(E.delay_failed, id, {s = session, pt = FULL, p = message})
  return ok('done')
end
