-- wrk script for `make bench`'s reference rate: each request is a visitor reading one of
-- their own check-ins, GET /api/v1/checkins/<id> with their bearer token: Django's
-- middleware, the token, one row by its key, JSON. JEJAK_BENCH_DATA names a file: a line
-- "visitors N", then N lines "<check-in id>\t<header>: <value>".

local visitors = {}
local threads = {}
local counter, thread_id, nthreads = 0, 0, 1

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("JEJAK_BENCH_DATA")))
  local n = file:read("*l"):match("visitors (%d+)")
  for _ = 1, tonumber(n) do
    local checkin, name, value = file:read("*l"):match("^([^\t]+)\t([^:]+): (.*)$")
    table.insert(visitors, {path = "/api/v1/checkins/" .. checkin, headers = {[name] = value}})
  end
  file:close()
  thread_id = id
  nthreads = tonumber(os.getenv("JEJAK_BENCH_THREADS") or "1")
  ok, s4xx, s5xx, other = 0, 0, 0, 0
end

function request()
  local k = counter * nthreads + thread_id
  counter = counter + 1
  local visitor = visitors[k % #visitors + 1]
  return wrk.format("GET", visitor.path, visitor.headers)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local parts = {}
  for _, name in ipairs({"ok", "s4xx", "s5xx", "other"}) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + thread:get(name) end
    table.insert(parts, name .. "=" .. total)
  end
  io.write("JEJAK " .. table.concat(parts, " ") .. "\n")
end
