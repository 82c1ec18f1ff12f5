-- wrk script for `make bench`: every request is one visitor scanning one venue's code,
-- on the API path (a bearer token) or the web app's (session cookie and CSRF token).
-- JEJAK_BENCH_DATA names a file: a line "visitors N venues M"; N visitor lines, each the
-- JSON list of people they check in, their visitor type (guest or employee), then the
-- headers they send ("Name: value"), all separated by tabs; M venue lines, "<poster code>\t<screen code>".
-- Request k of a thread takes visitor k*threads+id (mod N), in turn, so that each scans
-- once every N requests (the burst limit allows 10 a minute); each time the visitors
-- wrap around they move to the next venue, so nobody rescans the venue they are in (a
-- rescan would check out instead of creating a row). Every tenth request scans the
-- venue's screen code instead of its poster.

local visitors, venues = {}, {}
local threads = {}
local counter, thread_id, nthreads = 0, 0, 1

local function split(line)
  local fields = {}
  for part in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, part) end
  return fields
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("JEJAK_BENCH_DATA")))
  local n, m = file:read("*l"):match("visitors (%d+) venues (%d+)")
  for _ = 1, tonumber(n) do
    local fields = split(file:read("*l"))
    local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
    for i = 3, #fields do
      local name, value = fields[i]:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    table.insert(visitors, {people = fields[1], kind = fields[2], headers = headers})
  end
  for _ = 1, tonumber(m) do
    local fields = split(file:read("*l"))
    table.insert(venues, {poster = fields[1], screen = fields[2]})
  end
  file:close()
  thread_id = id
  nthreads = tonumber(os.getenv("JEJAK_BENCH_THREADS") or "1")
  -- The app's API, or a partner app's (JEJAK_BENCH_PATH=/api/v1/partner/checkins).
  path = os.getenv("JEJAK_BENCH_PATH") or "/api/v1/checkins"
  -- A second run of the same visitors starts at other venues (inside the first run's
  -- venue still, a rescan would check them out).
  offset = tonumber(os.getenv("JEJAK_BENCH_VENUE_OFFSET") or "0")
  math.randomseed(os.time() * 1000 + id)
  -- Counters, read by done() through thread:get (globals of this thread's state).
  sent, sent_screen, sent_family, sent_employee = 0, 0, 0, 0
  accepted, people, family, capacity, capacity_people, black, roster_miss = 0, 0, 0, 0, 0, 0, 0
  s429, s4xx, s5xx, other = 0, 0, 0, 0
  -- The check-in ids of every 201 this thread saw, one per line, so that the harness can
  -- match them against the stored rows (line-buffered: the file is never closed).
  local dir = os.getenv("JEJAK_BENCH_OUT")
  if dir then
    ids = assert(io.open(dir .. "/accepted-" .. id .. ".txt", "w"))
    ids:setvbuf("line")
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
  local v = k % #visitors
  local round = math.floor(k / #visitors)
  local visitor = visitors[v + 1]
  local venue = venues[(v + round + offset) % #venues + 1]
  local code = venue.poster
  if k % 10 == 9 then
    code = venue.screen
    sent_screen = sent_screen + 1
  end
  if visitor.people ~= '["self"]' then sent_family = sent_family + 1 end
  if visitor.kind == "employee" then sent_employee = sent_employee + 1 end
  sent = sent + 1
  local body = string.format(
    '{"qr":"%s","nonce":"%s","people":%s,"visitor_type":"%s"}',
    code, nonce(), visitor.people, visitor.kind)
  return wrk.format("POST", path, visitor.headers, body)
end

local function count(body, pattern)
  local n = 0
  for _ in body:gmatch(pattern) do n = n + 1 end
  return n
end

function response(status, headers, body)
  if status == 201 then
    accepted = accepted + 1
    local here = 0
    for checkin in body:gmatch('"checkin":%s*"(%w+)"') do
      here = here + 1
      if ids then ids:write(checkin, "\n") end
    end
    -- A partner's answer names no check-in (Jejak's ids stay inside): count its people
    -- checked in (a row each; a rescan's check-out writes none).
    if here == 0 then here = count(body, '"action":%s*"check_in"') end
    people = people + here
    if here > 1 then family = family + 1 end
    local full = count(body, '"capacity_full"')
    if full > 0 then capacity = capacity + 1 end
    capacity_people = capacity_people + full
    black = black + count(body, '"status_black"')
    roster_miss = roster_miss + count(body, '"not_on_staff_roster"')
  elseif status == 429 then
    s429 = s429 + 1
  elseif status >= 500 then
    s5xx = s5xx + 1
  elseif status >= 400 then
    s4xx = s4xx + 1
  else
    other = other + 1
  end
end

local NAMES = {"sent", "sent_screen", "sent_family", "sent_employee", "accepted", "people",
  "family", "capacity", "capacity_people", "black", "roster_miss", "s429", "s4xx", "s5xx", "other"}

function done(summary, latency, requests)
  local parts = {}
  for _, name in ipairs(NAMES) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + thread:get(name) end
    table.insert(parts, name .. "=" .. total)
  end
  io.write("JEJAK " .. table.concat(parts, " ") .. "\n")
end
