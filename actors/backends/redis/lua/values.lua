-- Values: v:<id> is a hash {value, version, owner}, vm:<id> the value's
-- metadata, ids a sorted set of every id (all scores 0: in byte order, for
-- listing), so:<session> the ids a session owns (protocol::cmd_set_owned).
-- Checks come before writes: Redis does not undo a script's writes when it
-- fails half-way.
local function vkey(id) return P .. 'v:' .. id end
local function mkey(id) return P .. 'vm:' .. id end
local function ids_key() return P .. 'ids' end

-- The value and its version, or nothing.
local function value_of(id)
  local got = redis.call('HMGET', vkey(id), 'value', 'version')
  if not got[2] then return nil, nil end
  return got[1], tonumber(got[2])
end

local function ref_missing(id) return fail('not_found', "ref '" .. id .. "' does not exist") end

local function conflict(id, actual, expected)
  if expected == '0' then
    return fail('version_conflict', "ref '" .. id .. "' exists (version " .. actual
                                      .. '); expected version 0 means absent')
  end
  return fail('version_conflict', "ref '" .. id .. "' is at version " .. actual .. ', expected '
                                    .. expected)
end

-- owner (may be nil): the session a set_owned writes for, named in the event.
local function write_new(id, value, owner)
  local version = index()
  redis.call('HSET', vkey(id), 'value', value, 'version', version)
  redis.call('ZADD', ids_key(), 0, id)
  emit(E.value_created, id, {pt = FULL, p = value, s = owner})
  return version
end

local function overwrite(id, old_version, old_value, value, owner)
  local version = index()
  redis.call('HSET', vkey(id), 'value', value, 'version', version)
  emit(E.value_written, id, {o = old_version, pt = FULL, p = value, ov = old_value, s = owner})
  return version
end

local function okey(session) return P .. 'so:' .. session end

-- The value no longer belongs to a session (it is removed, or another
-- session takes it).
local function disown(id)
  local owner = redis.call('HGET', vkey(id), 'owner')
  if owner then
    redis.call('SREM', okey(owner), id)
    redis.call('HDEL', vkey(id), 'owner')
  end
end

-- The removal of an existing value; session: the ended session it went with.
local function erase_value(id, version, current, session)
  disown(id)
  emit(E.value_removed, id, {o = version, ov = current, s = session})
  redis.call('DEL', vkey(id), mkey(id))
  redis.call('ZREM', ids_key(), id)
end

-- end_session's part: every value the session owns goes, with its event.
drop_owned_values = function(session)
  for _, id in ipairs(redis.call('SMEMBERS', okey(session))) do
    local current, version = value_of(id)
    if version then erase_value(id, version, current, session) end
  end
  redis.call('DEL', okey(session))
end

-- ARGV: id, value, metadata key/value pairs.
C.create = function(a)
  local id = a[1]
  local current, version = value_of(id)
  if version then return ok('created', 0, version, current) end
  hset_pairs(mkey(id), a, 3)
  return ok('created', 1, write_new(id, a[2]), '')
end

-- ARGV: id, value.
C.set = function(a)
  local current, version = value_of(a[1])
  if not version then return ok('written', write_new(a[1], a[2])) end
  return ok('written', overwrite(a[1], version, current, a[2]))
end

-- ARGV: id, expected version (0: only while absent), value.
C.cas = function(a)
  local id, expected = a[1], a[2]
  local current, version = value_of(id)
  if not version then
    if expected == '0' then return ok('written', write_new(id, a[3])) end
    return ref_missing(id)
  end
  if version ~= tonumber(expected) then return conflict(id, version, expected) end
  return ok('written', overwrite(id, version, current, a[3]))
end

-- ARGV: id.
C.remove = function(a)
  local id = a[1]
  local current, version = value_of(id)
  if not version then return ok('removed', 0, 0) end
  erase_value(id, version, current, nil)
  return ok('removed', 1, version)
end

-- ARGV: id, value, session, '1' to write only while absent. Ordinary
-- writes keep the owner; the contract is above protocol::cmd_set_owned.
C.set_owned = function(a)
  local id, value, session = a[1], a[2], a[3]
  if not live(session) then return session_missing(session) end
  local current, version = value_of(id)
  if version and a[4] == '1' then return ok('created', 0, version, current) end
  if version then
    overwrite(id, version, current, value, session)
  else
    write_new(id, value, session)
  end
  if redis.call('HGET', vkey(id), 'owner') ~= session then
    disown(id)
    redis.call('HSET', vkey(id), 'owner', session)
    redis.call('SADD', okey(session), id)
  end
  return ok('created', 1, index(), '')
end

-- ARGV: id, metadata key/value pairs (replacing the old ones).
C.set_metadata = function(a)
  local id = a[1]
  local _, version = value_of(id)
  if not version then return ref_missing(id) end
  redis.call('DEL', mkey(id))
  hset_pairs(mkey(id), a, 2)
  emit(E.metadata_changed, id, {o = version})
  redis.call('HSET', vkey(id), 'version', index())
  return ok('written', index())
end

-- add_i64 on 8-byte little-endian integers, exactly: Lua's numbers are
-- doubles, so the arithmetic runs on two 32-bit halves.
local TWO32 = 4294967296

local function i64_halves(bytes, what)
  if #bytes ~= 8 then
    return nil, 'wrong_type', what .. ' has ' .. #bytes .. ' bytes; a 64-bit integer has 8'
  end
  return {hi = struct.unpack('<i4', bytes, 5), lo = struct.unpack('<I4', bytes, 1)}
end

local function i64_text(n)
  local hi, lo, sign = n.hi, n.lo, ''
  if hi < 0 then -- two's complement: the magnitude is not(n) + 1
    sign = '-'
    hi, lo = -hi - 1, TWO32 - lo
    if lo == TWO32 then hi, lo = hi + 1, 0 end
  end
  local digits = ''
  repeat -- divide hi * 2^32 + lo by 10^5; every step stays below 2^53
    local rest = hi % 100000
    hi = (hi - rest) / 100000
    local low = rest * TWO32 + lo
    local chunk = low % 100000
    lo = (low - chunk) / 100000
    digits = string.format('%05d', chunk) .. digits
  until hi == 0 and lo == 0
  return sign .. (string.gsub(digits, '^0+(%d)', '%1'))
end

local function add_i64(current, args)
  local delta, code, why = i64_halves(args, "add_i64's argument")
  if not delta then return nil, code, why end
  local base = {hi = 0, lo = 0}
  if current then
    base, code, why = i64_halves(current, 'the stored value')
    if not base then return nil, code, why end
  end
  local hi, lo = base.hi + delta.hi, base.lo + delta.lo
  if lo >= TWO32 then hi, lo = hi + 1, lo - TWO32 end
  if hi > 2147483647 or hi < -2147483648 then
    return nil, 'invalid_argument', 'add_i64: ' .. i64_text(base) .. ' + ' .. i64_text(delta)
                                    .. ' overflows a 64-bit integer'
  end
  return struct.pack('<I4i4', lo, hi)
end

local NAMED = {add_i64 = add_i64}

-- ARGV: id, command name, its argument.
C.run = function(a)
  local id, name = a[1], a[2]
  local command = NAMED[name]
  if not command then
    return fail('unknown_command', "named command '" .. name .. "' is not registered on this node")
  end
  local current, version = value_of(id)
  local next, code, why = command(current, a[3])
  if not next then return fail(code, name .. " on '" .. id .. "': " .. why) end
  if not version then return ok('ran', write_new(id, next), next) end
  return ok('ran', overwrite(id, version, current, next), next)
end

-- The write of a command the script does not run itself (one registered
-- in C++, store/named_commands.hpp): the backend read the value, ran the
-- command on it and sends what it computed. ARGV: id, the version it ran
-- on (0: absent), '1' when the command changed the value, the new value,
-- the command's answer. Written only while the value is still at that
-- version; else the backend reads and runs it again, so a conflict is not
-- kept for a repeat of this sequence (retries.lua).
C.run_at = function(a)
  local id, expected, changed, next, said = a[1], tonumber(a[2]), a[3], a[4], a[5]
  local current, version = value_of(id)
  if (version or 0) ~= expected then
    local res = fail('version_conflict', "ref '" .. id .. "' changed while its command ran")
    res.uncached = true
    return res
  end
  if changed ~= '1' then return ok('ran', version or 0, said) end
  if not version then return ok('ran', write_new(id, next), said) end
  return ok('ran', overwrite(id, version, current, next), said)
end

-- ARGV: the number of compares, then (id, version) for each (0: absent);
-- the writes follow as (op, id, value, session): op 's' sets (owned by
-- session unless it is empty), 'r' removes. The contract is above
-- protocol::cmd_txn: every compare first, then every owner, then every
-- write at one version.
C.txn = function(a)
  local compares = tonumber(a[1])
  for i = 0, compares - 1 do
    local id, expected = a[2 + 2 * i], tonumber(a[3 + 2 * i])
    local _, version = value_of(id)
    if (version or 0) ~= expected then return ok('txn', 0, 0, i, version or 0) end
  end
  local first = 2 + 2 * compares
  for at = first, #a, 4 do
    local session = a[at + 3]
    if session ~= '' and not live(session) then return session_missing(session) end
  end
  for at = first, #a, 4 do
    local op, id, value, session = a[at], a[at + 1], a[at + 2], a[at + 3]
    if op == 'r' then
      C.remove({id})
    elseif session ~= '' then
      C.set_owned({id, value, session, '0'})
    else
      C.set({id, value})
    end
  end
  return ok('txn', 1, index(), 0, 0)
end
