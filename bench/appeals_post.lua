-- wrk script for bench/03_appeals.py: POST /api/v1/appeals with varied bodies.
--
--   wrk -t2 -c50 -d30s --latency -s appeals_post.lua http://127.0.0.1:PORT \
--       -- TOKEN LOCATIONS_FILE CATEGORIES SEED
--
-- LOCATIONS_FILE has one JSON fragment a line, `"household_id":123` or
-- `"unit_id":456`; CATEGORIES is a comma-separated list of category codes.
-- Every response status is counted; `done` prints one line
-- `BENCHJSON {...}` with the latency percentiles (microseconds), the request
-- count and the status counts, which the Python side parses, and the first
-- non-201 response as `BENCHSAMPLE status body`.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local token, locations, categories = nil, {}, {}
statuses = {}
sample = nil

function init(args)
  token = args[1]
  local f = assert(io.open(args[2], "r"))
  for line in f:lines() do
    if #line > 0 then
      locations[#locations + 1] = line
    end
  end
  f:close()
  for code in string.gmatch(args[3], "[^,]+") do
    categories[#categories + 1] = code
  end
  math.randomseed(tonumber(args[4] or "1") * 1000 + (thread_no or 0))
  wrk.method = "POST"
  wrk.path = "/api/v1/appeals"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local category = categories[math.random(#categories)]
  local location = locations[math.random(#locations)]
  local urgency = "normal"
  if math.random() < 0.05 then
    urgency = "urgent"
  end
  local body = '{"category":"' .. category .. '",'
    .. '"description":"压测：' .. category .. ' 问题，请尽快处理。",'
    .. '"channel":"api","urgency":"' .. urgency .. '",'
    .. '"reporter_name":"压测","reporter_phone":"139'
    .. string.format("%08d", math.random(0, 99999999)) .. '",'
    .. location .. '}'
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 201 and sample == nil then
    sample = tostring(status) .. " " .. string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local merged, first = {}, nil
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
    first = first or thread:get("sample")
  end
  local parts = {}
  for status, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"mean":%.1f,"max":%d,'
      .. '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"statuses":{%s}}\n',
    summary.requests, summary.duration, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ",")))
  if first then
    io.write("BENCHSAMPLE " .. string.gsub(first, "\n", " ") .. "\n")
  end
end
