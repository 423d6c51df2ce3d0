-- dref's gateway: PUT /v1/refs/bench/key with a 3-byte value (the URL given
-- to wrk carries the path). See count.lua for how errors are counted.
wrk.method = "PUT"
wrk.body = '{"value":"abc"}'
wrk.headers["Content-Type"] = "application/json"
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "count.lua")
