-- Locks: l:<id> is a hash {session, owner, token, count} while held (gone
-- when free), lw:<id> the FIFO list of waiters ("session\nowner"; ids
-- cannot hold a newline). sh:<session> and sw:<session> are the sets of
-- locks a session holds and waits for, so that ending it scans nothing
-- else. A fencing token is the version of its grant.
local function lkey(id) return P .. 'l:' .. id end
local function wkey(id) return P .. 'lw:' .. id end
local function waiter(session, owner) return session .. '\n' .. owner end
local function split_waiter(w) return string.match(w, '^([^\n]*)\n(.*)$') end
local function holder_text(session, owner)
  return "session '" .. session .. "' (owner '" .. owner .. "')"
end

-- A session may wait for one lock under several owners: the back reference
-- goes only when the last of them leaves the queue.
local function forget_wait_if_last(session, lock_id)
  for _, w in ipairs(redis.call('LRANGE', wkey(lock_id), 0, -1)) do
    if split_waiter(w) == session then return end
  end
  redis.call('SREM', P .. 'sw:' .. session, lock_id)
end

local function grant(lock_id, session, owner)
  local token = index()
  redis.call('HSET', lkey(lock_id), 'session', session, 'owner', owner, 'token', token,
             'count', 1)
  redis.call('SADD', P .. 'sh:' .. session, lock_id)
  emit(E.lock_granted, lock_id, {s = session, w = owner, x = token})
  return token
end

-- Passes a let-go lock to the first waiter; false (and the lock gone) when
-- nobody waits.
local function grant_next(lock_id)
  redis.call('DEL', lkey(lock_id))
  while true do
    local w = redis.call('LPOP', wkey(lock_id))
    if not w then return false end
    local session, owner = split_waiter(w)
    if live(session) then
      forget_wait_if_last(session, lock_id)
      grant(lock_id, session, owner)
      return true
    end
    -- Due but not swept yet: live() ended the session, and the waiter
    -- taken off the queue here leaves it as the sweep would have.
    emit(E.lock_released, lock_id, {s = session, w = owner})
  end
end

local function holder(lock_id)
  local h = redis.call('HMGET', lkey(lock_id), 'session', 'owner', 'token', 'count')
  if not h[1] then return nil end
  return {session = h[1], owner = h[2], token = h[3], count = tonumber(h[4])}
end

local function position(lock_id, session, owner)
  local me = waiter(session, owner)
  for i, w in ipairs(redis.call('LRANGE', wkey(lock_id), 0, -1)) do
    if w == me then return i end
  end
  return nil
end

-- ARGV: lock, session, owner, wait (1) or try (0).
C.lock_acquire = function(a)
  local lock_id, session, owner = a[1], a[2], a[3]
  if not live(session) then return session_missing(session) end
  local h = holder(lock_id)
  if not h then
    return ok('lock', 1, grant(lock_id, session, owner), 1, 0)
  end
  if h.session == session and h.owner == owner then
    return ok('lock', 1, tonumber(h.token), redis.call('HINCRBY', lkey(lock_id), 'count', 1), 0)
  end
  local queued = position(lock_id, session, owner)
  if queued then return ok('lock', 0, 0, 0, queued) end
  if a[4] ~= '1' then
    return fail('would_block', "lock '" .. lock_id .. "' is held by " .. holder_text(h.session, h.owner))
  end
  local place = redis.call('RPUSH', wkey(lock_id), waiter(session, owner))
  redis.call('SADD', P .. 'sw:' .. session, lock_id)
  emit(E.lock_queued, lock_id, {s = session, w = owner})
  return ok('lock', 0, 0, 0, place)
end

-- The holder and token a release or a handover names, checked against the
-- lock's current grant: the holder, or nil and the refusal.
local function checked_holder(lock_id, session, owner, token)
  local h = holder(lock_id)
  if not h then return nil, fail('not_holder', "lock '" .. lock_id .. "' is not held by anyone") end
  if h.session ~= session or h.owner ~= owner then
    return nil, fail('not_holder', "lock '" .. lock_id .. "' is held by "
                                     .. holder_text(h.session, h.owner)
                                     .. ", not by " .. holder_text(session, owner))
  end
  if h.token ~= token then
    return nil, fail('stale_token', "lock '" .. lock_id .. "': token " .. token
                                      .. " is not the current grant's token " .. h.token)
  end
  return h
end

-- ARGV: lock, session, owner, token. Lets go of one level of reentrancy.
C.lock_release = function(a)
  local lock_id, session, owner, token = a[1], a[2], a[3], a[4]
  local h, refused = checked_holder(lock_id, session, owner, token)
  if not h then return refused end
  if h.count > 1 then
    return ok('released', redis.call('HINCRBY', lkey(lock_id), 'count', -1), 0)
  end
  redis.call('SREM', P .. 'sh:' .. session, lock_id)
  emit(E.lock_released, lock_id, {s = session, w = owner, x = token})
  return ok('released', 0, grant_next(lock_id) and 1 or 0)
end

-- ARGV: lock, session, owner, token, to_owner (protocol::cmd_lock_hand_over
-- is the contract): the holder lets go of every level and the first live
-- waiter under to_owner is granted the lock ahead of the others. The
-- sessions due were swept before (dispatch.lua, TIMED), as the store does.
C.lock_hand_over = function(a)
  local lock_id, session, owner, token, to_owner = a[1], a[2], a[3], a[4], a[5]
  local h, refused = checked_holder(lock_id, session, owner, token)
  if not h then return refused end
  local chosen = nil
  for _, w in ipairs(redis.call('LRANGE', wkey(lock_id), 0, -1)) do
    local s, o = split_waiter(w)
    if o == to_owner then chosen = w break end
  end
  if not chosen then
    return fail('not_found', "lock '" .. lock_id .. "': nobody waits for it as '" .. to_owner
                               .. "'; it stays with its holder")
  end
  redis.call('LREM', wkey(lock_id), 1, chosen)
  redis.call('LPUSH', wkey(lock_id), chosen)
  redis.call('SREM', P .. 'sh:' .. session, lock_id)
  emit(E.lock_released, lock_id, {s = session, w = owner, x = token})
  grant_next(lock_id)
  return ok('released', 0, 1)
end

-- ARGV: lock, session, owner. A waiter gives up; a grant that won the race
-- is reported, so that the caller lets go of what it now holds.
C.lock_cancel_wait = function(a)
  local lock_id, session, owner = a[1], a[2], a[3]
  local h = holder(lock_id)
  if h and h.session == session and h.owner == owner then
    return ok('lock', 1, tonumber(h.token), h.count, 0)
  end
  if redis.call('LREM', wkey(lock_id), 1, waiter(session, owner)) > 0 then
    forget_wait_if_last(session, lock_id)
    emit(E.lock_released, lock_id, {s = session, w = owner})
    return ok('done')
  end
  return fail('not_found', holder_text(session, owner) .. " neither holds nor waits for lock '"
                             .. lock_id .. "'")
end

-- What a session that ends lets go of: waits first, so that a lock it
-- lets go never passes to it.
local function drop_lock_holdings(session, expired)
  for _, lock_id in ipairs(redis.call('SMEMBERS', P .. 'sw:' .. session)) do
    for _, w in ipairs(redis.call('LRANGE', wkey(lock_id), 0, -1)) do
      local s, owner = split_waiter(w)
      if s == session then
        redis.call('LREM', wkey(lock_id), 1, w)
        emit(E.lock_released, lock_id, {s = session, w = owner})
      end
    end
  end
  redis.call('DEL', P .. 'sw:' .. session)
  for _, lock_id in ipairs(redis.call('SMEMBERS', P .. 'sh:' .. session)) do
    local h = holder(lock_id)
    if h then
      emit(expired and E.lock_lost or E.lock_released, lock_id,
           {s = session, w = h.owner, x = h.token})
      grant_next(lock_id)
    end
  end
  redis.call('DEL', P .. 'sh:' .. session)
end

-- The writes a fence may guard (protocol::fenced_write); a patch arrives
-- as the cas the backend made of it.
local FENCED = {set = true, cas = true, remove = true}

-- ARGV: lock, token, the write's command name and its arguments. A fenced
-- write (protocol::cmd_fenced, whose comment is the contract) runs only
-- while the lock is held under token; otherwise not_holder, nothing
-- changes, in the store's words.
C.fenced = function(a)
  local lock_id, token, name = a[1], a[2], a[3]
  if not FENCED[name] then
    return fail('invalid_argument', 'the dref script cannot fence ' .. name)
  end
  local h = holder(lock_id)
  -- A holder due but not swept yet has lost the lock: live() ends its
  -- session, which passes the lock on.
  if h and not live(h.session) then h = holder(lock_id) end
  if not h or h.token ~= token then
    local state = h and ('is held under fencing token ' .. h.token) or 'is not held by anyone'
    return fail('not_holder', "lock '" .. lock_id .. "' " .. state
                                .. ', not under fencing token ' .. token
                                .. ': the fenced write is refused')
  end
  return C[name]({unpack(a, 4)})
end
