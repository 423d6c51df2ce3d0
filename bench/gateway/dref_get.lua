-- dref's gateway: GET /v1/refs/bench/key, a linearizable read (no
-- ?stale=true; the URL given to wrk carries the path).
wrk.method = "GET"
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "count.lua")
