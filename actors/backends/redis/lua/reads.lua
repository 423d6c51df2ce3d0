-- Reads: one answer from one script, so that a value and its metadata (or
-- a lock and its queue) are seen at one moment. Each answer starts with its
-- kind and the current version counter (store_read_reply.applied_index).
local function applied() return tonumber(redis.call('GET', P .. 'index') or '0') end

-- ARGV: id. -> value, version, owner session ('' for none), metadata
-- key/value pairs.
R.get_value = function(a)
  local current, version = value_of(a[1])
  if not version then return ref_missing(a[1]) end
  local out = {'value', applied(), current, version,
               redis.call('HGET', vkey(a[1]), 'owner') or ''}
  for _, x in ipairs(redis.call('HGETALL', mkey(a[1]))) do out[#out + 1] = x end
  return {ok = out}
end

-- ARGV: id. -> held, session, owner, token, count, waiters' session/owner pairs.
R.get_lock = function(a)
  local h = holder(a[1]) or {session = '', owner = '', token = '0', count = 0}
  local out = {'lock', applied(), h.session ~= '' and 1 or 0, h.session, h.owner,
               tonumber(h.token), h.count}
  for _, w in ipairs(redis.call('LRANGE', wkey(a[1]), 0, -1)) do
    local session, owner = split_waiter(w)
    out[#out + 1] = session
    out[#out + 1] = owner
  end
  return {ok = out}
end

-- ARGV: id, from seq (0: the oldest retained), at most this many.
-- -> first_seq, next_seq, seq/message pairs.
R.get_topic = function(a)
  local id, from = a[1], tonumber(a[2])
  local next_seq = tonumber(redis.call('HGET', tmkey(id), 'next_seq') or '1')
  local first = next_seq
  local oldest = redis.call('XRANGE', tkey(id), '-', '+', 'COUNT', 1)[1]
  if oldest then first = entry_seq(oldest[1]) end
  if from == 0 then from = first end
  if from < first then
    return fail('compacted', "topic '" .. id .. "': messages " .. from .. '..' .. (first - 1)
                               .. ' were dropped by retention; the first available is ' .. first)
  end
  local out = {'topic', applied(), first, next_seq}
  if from < next_seq then
    for _, m in ipairs(redis.call('XRANGE', tkey(id), from .. '-0', '+', 'COUNT', a[3])) do
      out[#out + 1] = entry_seq(m[1])
      out[#out + 1] = m[2][2]
    end
  end
  return {ok = out}
end

-- ARGV: id. -> delivered, version, value.
R.get_promise = function(a)
  local got = redis.call('HMGET', pkey(a[1]), 'value', 'version')
  if not got[2] then return ok('promise', applied(), 0, 0, '') end
  return ok('promise', applied(), 1, tonumber(got[2]), got[1])
end

-- ARGV: id. -> claimed, runner, completed, value.
R.get_delay = function(a)
  local d = redis.call('HMGET', dkey(a[1]), 'runner', 'completed', 'value')
  local runner = d[1] or ''
  return ok('delay', applied(), runner ~= '' and 1 or 0, runner, d[2] == '1' and 1 or 0,
            d[3] or '')
end

-- ARGV: id. -> ttl, deadline.
R.get_session = function(a)
  local s = redis.call('HMGET', skey(a[1]), 'ttl', 'deadline')
  if not s[1] then return session_missing(a[1]) end
  return ok('session', applied(), tonumber(s[1]), tonumber(s[2]))
end

-- a < b by bytes, as the store's std::string compares (Lua's < follows the
-- server's collation locale).
local function bytes_below(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- ARGV: prefix (may be empty), after (exclusive; empty: from the start),
-- limit (checked by the backend: 1..max_list_page).
-- -> revision, more, id/version pairs. Ids are [A-Za-z0-9._:/@-] only, so
-- every id under the prefix sorts below prefix .. '\127'.
R.list_ids = function(a)
  local prefix, after, limit = a[1], a[2], tonumber(a[3])
  local from = '[' .. prefix
  if after ~= '' and not bytes_below(after, prefix) then from = '(' .. after end
  local to = prefix == '' and '+' or '(' .. prefix .. '\127'
  local ids = redis.call('ZRANGEBYLEX', ids_key(), from, to, 'LIMIT', 0, limit + 1)
  local more = 0
  if #ids > limit then
    more = 1
    ids[#ids] = nil
  end
  local out = {'list', applied(), tonumber(redis.call('GET', P .. 'vrev') or '0'), more}
  for _, id in ipairs(ids) do
    -- An id whose value is gone from under the index (deleted or evicted
    -- outside dref) is not listed: a read of it finds nothing either.
    local version = tonumber(redis.call('HGET', vkey(id), 'version'))
    if version then
      out[#out + 1] = id
      out[#out + 1] = version
    end
  end
  return {ok = out}
end
