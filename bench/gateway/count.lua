-- Shared by the wrk scripts of bench/gateway: counts the responses that are
-- not 2xx in every wrk thread and prints them in done(), next to the rate of
-- 2xx responses only, so that errors never pass for throughput. wrk itself
-- counts 2xx and 3xx as successes, and its Requests/sec includes everything.
--
-- Each wrk thread runs its own Lua state: response() counts into that
-- thread's globals, and done() (in the main state) adds them up through the
-- thread objects setup() collected.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  first_status = 0   -- the first non-2xx status and body this thread saw
  first_body = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_status == 0 then
      first_status = status
      first_body = body or ""
    end
  end
end

function done(summary, latency, requests)
  local bad, status, body = 0, 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    if status == 0 and t:get("first_status") ~= 0 then
      status, body = t:get("first_status"), t:get("first_body")
    end
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  if bad > 0 then
    io.write(string.format("non-2xx responses: %d, the first: %d %s\n", bad, status,
                           string.sub(body:gsub("%s+", " "), 1, 200)))
  end
  -- One line for bench/gateway/run to read; latencies are in microseconds.
  io.write(string.format(
    "result: requests=%d non2xx=%d socket_errors=%d seconds=%.3f ok_per_s=%.1f p50_us=%d p99_us=%d\n",
    summary.requests, bad, socket_errors, seconds, (summary.requests - bad) / seconds,
    latency:percentile(50), latency:percentile(99)))
end
