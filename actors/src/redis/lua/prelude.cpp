// What every command shares: its arguments, Redis's clock (kept from going
// back), the version counter, the change-event stream and error results.
#include "redis/lua/chunks.hpp"

namespace dref::redis::lua {

std::string_view prelude() {
  return R"lua(
local P = ARGV[1]
local CLIENT = ARGV[2]
local SEQ = tonumber(ARGV[3])
local ACKED = tonumber(ARGV[4])
local MAXLEN = ARGV[5]
local IDLE_MS = ARGV[6]
local NAME = ARGV[7]
local C, R = {}, {} -- commands (they write), reads

local NOW
do
  local clock = redis.call('TIME')
  NOW = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  local last = tonumber(redis.call('GET', P .. 'now') or '0')
  if NOW < last then NOW = last end
end

-- One version per command that writes, from one counter: versions and
-- fencing tokens grow across every id, as log indices do in the store.
local INDEX
local function index()
  if not INDEX then
    INDEX = redis.call('INCR', P .. 'index')
    redis.call('SET', P .. 'now', NOW)
  end
  return INDEX
end

-- protocol::event_kind's numbers.
local E = {value_created = 0, value_written = 1, value_removed = 2, metadata_changed = 3,
           session_opened = 4, session_closed = 5, session_expired = 6, lock_granted = 7,
           lock_queued = 8, lock_released = 9, lock_lost = 10, topic_published = 11,
           promise_delivered = 12, delay_claimed = 13, delay_completed = 14,
           delay_released = 15}
local FULL = 1 -- payload_kind::full: Lua sends whole values, never deltas

-- A change event (store_event's fields): q numbers the events without
-- gaps, so a reader sees what retention dropped while it was away.
local EVENT_FIELDS = {'o', 'pt', 'p', 'ov', 's', 'w', 'x'}
local function emit(kind, id, f)
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
local function live(session) return redis.call('EXISTS', skey(session)) == 1 end
local function session_missing(session)
  return fail('unknown_session', "session '" .. session
                                   .. "' is not open (never opened, closed, or expired)")
end
)lua";
}

} // namespace dref::redis::lua
