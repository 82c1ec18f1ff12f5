-- wrk script for `make bench`: every request is one visitor scanning one venue's poster.
-- JEJAK_BENCH_DATA names a file: a line "visitors N venues M", then N bearer tokens,
-- then M scanned QR texts. Request k of a thread takes visitor k*threads+id (mod N) and,
-- each time the visitors wrap around, the next venue, so a visitor never rescans the
-- venue they are in (a rescan would check out instead of creating a row).

local tokens, codes = {}, {}
local threads = {}
local counter, thread_id, nthreads = 0, 0, 1

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("JEJAK_BENCH_DATA")))
  local header = file:read("*l")
  local n, m = header:match("visitors (%d+) venues (%d+)")
  for _ = 1, tonumber(n) do table.insert(tokens, file:read("*l")) end
  for _ = 1, tonumber(m) do table.insert(codes, file:read("*l")) end
  file:close()
  thread_id = id
  nthreads = tonumber(os.getenv("JEJAK_BENCH_THREADS") or "1")
  math.randomseed(os.time() * 1000 + id)
  created, refused = 0, 0
  -- The check-in ids of every 201 this thread saw, one per line, so that the harness can
  -- match them against the stored rows (line-buffered: the file is never closed).
  local dir = os.getenv("JEJAK_BENCH_OUT")
  if dir then
    accepted = assert(io.open(dir .. "/accepted-" .. id .. ".txt", "w"))
    accepted:setvbuf("line")
  end
end

local function nonce()
  local r = math.random
  return string.format("%08x-%04x-4%03x-a%03x-%06x%06x",
    r(0, 0x7fffffff), r(0, 0xffff), r(0, 0xfff), r(0, 0xfff), r(0, 0xffffff), r(0, 0xffffff))
end

function request()
  local k = counter * nthreads + thread_id
  counter = counter + 1
  local v = k % #tokens
  local round = math.floor(k / #tokens)
  local venue = (v + round) % #codes
  local body = string.format(
    '{"qr":"%s","nonce":"%s","people":["self"],"visitor_type":"guest"}',
    codes[venue + 1], nonce())
  return wrk.format("POST", "/api/v1/checkins", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[v + 1],
  }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    if accepted then
      for checkin in body:gmatch('"checkin": "(%w+)"') do accepted:write(checkin, "\n") end
    end
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("created")
    bad = bad + thread:get("refused")
  end
  io.write(string.format("JEJAK accepted %d refused %d\n", ok, bad))
end
