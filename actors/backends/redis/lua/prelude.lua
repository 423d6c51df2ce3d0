-- What every command shares: its arguments, Redis's clock (kept from going
-- back), the version counter, the change-event stream and error results.
-- The chunks only define; dispatch's call(argv) runs one command.
-- One call's arguments and time: set by begin() for every call, since a
-- function library keeps its locals from call to call.
local P, CLIENT, SEQ, SEQ_TEXT, ACKED, MAXLEN, IDLE_MS, MAX_CLIENT_BYTES, MAX_BYTES, NAME
local NOW, INDEX
local C, R = {}, {} -- commands (they write), reads

local function begin(argv)
  P, CLIENT, SEQ, SEQ_TEXT, ACKED = argv[1], argv[2], tonumber(argv[3]), argv[3], tonumber(argv[4])
  MAXLEN, IDLE_MS, NAME = argv[5], tonumber(argv[6]), argv[9]
  MAX_CLIENT_BYTES, MAX_BYTES = tonumber(argv[7]), tonumber(argv[8])
  INDEX, NOW = nil, nil
end

-- Redis's clock in ms, read once per call and only by calls that need it
-- (reads do not); never behind what an earlier call saw.
local function now()
  if not NOW then
    local clock = redis.call('TIME')
    NOW = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
    local last = tonumber(redis.call('GET', P .. 'now') or '0')
    if NOW < last then NOW = last end
  end
  return NOW
end

-- One version per command that writes, from one counter: versions and
-- fencing tokens grow across every id, as log indices do in the store.
local function index()
  if not INDEX then
    INDEX = redis.call('INCR', P .. 'index')
  end
  return INDEX
end

-- protocol::event_kind's numbers.
local E = {value_created = 0, value_written = 1, value_removed = 2, metadata_changed = 3,
           session_opened = 4, session_closed = 5, session_expired = 6, lock_granted = 7,
           lock_queued = 8, lock_released = 9, lock_lost = 10, topic_published = 11,
           promise_delivered = 12, delay_claimed = 13, delay_completed = 14,
           delay_released = 15, delay_requested = 17, delay_failed = 18}
local FULL = 1 -- payload_kind::full: Lua sends whole values, never deltas

-- A change event (store_event's fields): q numbers the events without
-- gaps, so a reader sees what retention dropped while it was away.
-- A value event also moves the keyspace's revision (list_page::revision):
-- the script holds client ids only.
local EVENT_FIELDS = {'o', 'pt', 'p', 'ov', 's', 'w', 'x'}
local function emit(kind, id, f)
  if kind <= E.metadata_changed then redis.call('SET', P .. 'vrev', index()) end
  local call = {'XADD', P .. 'events', 'MAXLEN', '~', MAXLEN, '*',
                'q', redis.call('INCR', P .. 'eseq'), 'k', kind, 'i', id, 'n', f.n or index()}
  for _, name in ipairs(EVENT_FIELDS) do
    if f[name] ~= nil then
      call[#call + 1] = name
      call[#call + 1] = f[name]
    end
  end
  redis.call(unpack(call))
end

local function ok(...) return {ok = {...}} end
local function fail(code, message) return {err = code .. ' ' .. message} end

local function skey(id) return P .. 's:' .. id end
-- Defined with the sessions; live() needs it for a session that is due
-- but not swept yet (a sweep ends at most 64 per call). drop_owned_values
-- is defined with the values, which come before the sessions.
local end_session, drop_owned_values

-- Open and not past its deadline.
local function live(session)
  local deadline = redis.call('HGET', skey(session), 'deadline')
  if not deadline then return false end
  if tonumber(deadline) <= now() then
    end_session(session, true)
    return false
  end
  return true
end

-- HSET of key/value pairs from a[from] on, in slices: unpack() of many
-- values overflows Lua's C stack.
local function hset_pairs(key, a, from)
  local i = from
  while i <= #a do
    local last = math.min(i + 999, #a)
    redis.call('HSET', key, unpack(a, i, last))
    i = last + 1
  end
end
local function session_missing(session)
  return fail('unknown_session', "session '" .. session
                                   .. "' is not open (never opened, closed, or expired)")
end
