-- The call itself, call(argv): reads answer at once; commands that depend
-- on time first expire what is due (as the store does before every
-- command), then answer a retry from the client's cached answers, or run
-- and cache the answer (retries.lua).
local function answer(res)
  if res.err then return redis.error_reply('DREF ' .. res.err) end
  return res.ok
end

-- Commands whose outcome depends on time: what is due expires first, as
-- the store does. Values, topics and promises do not look at the clock.
local TIMED = {session_open = true, session_keepalive = true, session_close = true,
               expire_due = true, lock_acquire = true, lock_release = true,
               lock_hand_over = true,
               lock_cancel_wait = true, delay_claim = true, delay_complete = true,
               delay_request = true, delay_fail = true,
               fenced = true, set_owned = true}

local function call(argv)
  begin(argv)
  local args = {}
  for i = 10, #argv do args[#args + 1] = argv[i] end
  if R[NAME] then return answer(R[NAME](args)) end
  local command = C[NAME]
  if not command then
    return redis.error_reply('DREF invalid_argument the dref script has no command ' .. NAME)
  end
  if TIMED[NAME] then expire_due() end
  if CLIENT == '0' then return answer(command(args)) end
  return answer(answer_once(command, args))
end
