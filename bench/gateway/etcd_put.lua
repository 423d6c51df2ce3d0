-- etcd's JSON gateway: POST /v3/kv/put of key "bench/key" and value "abc";
-- the gateway wants both in base64.
wrk.method = "POST"
wrk.body = '{"key":"YmVuY2gva2V5","value":"YWJj"}' -- base64("bench/key"), base64("abc")
wrk.headers["Content-Type"] = "application/json"
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "count.lua")
