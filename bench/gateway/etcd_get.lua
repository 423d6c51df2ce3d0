-- etcd's JSON gateway: POST /v3/kv/range of key "bench/key" (base64), a
-- linearizable read: serializable is false unless asked for.
wrk.method = "POST"
wrk.body = '{"key":"YmVuY2gva2V5"}' -- base64("bench/key")
wrk.headers["Content-Type"] = "application/json"
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "count.lua")
