-- wrk script for scripts/serve-bench.sh: POSTs Segment batches of EVENTS "Order Completed"
-- track calls (or single calls to /v1/track when EVENTS is 1), each with its own messageId,
-- so every acknowledged event is a distinct event for the stand-in to count.
local events = tonumber(os.getenv("EVENTS") or "100")
local key = os.getenv("WRITE_KEY") or "bench-key"
local counter = 0
-- thread_tag: a global set per thread in setup(), so the two threads never share a messageId.

-- base64 of "key:" for HTTP Basic, without a library.
local function base64(data)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((data:gsub(".", function(x)
    local bits, byte = "", x:byte()
    for i = 8, 1, -1 do bits = bits .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

local authorization = "Basic " .. base64(key .. ":")

function setup(thread)
  thread:set("thread_tag", tostring(math.random(1, 2 ^ 30)))
end

local function event(n)
  return string.format(
    '{"type":"track","userId":"user-%d","event":"Order Completed","messageId":"b-%s-%d",' ..
    '"timestamp":"2024-03-01T12:00:00.000Z","context":{"ip":"203.0.113.%d","userAgent":"Mozilla/5.0"},' ..
    '"properties":{"order_id":"o-%d","revenue":%d.5,"currency":"USD","email":"Buyer%d@Example.com",' ..
    '"products":[{"product_id":"sku-%d","price":19.5,"quantity":2}]}}',
    n, thread_tag, n, n % 250, n, n % 90 + 10, n, n % 1000)
end

function request()
  local body
  if events == 1 then
    counter = counter + 1
    body = event(counter)
    return wrk.format("POST", "/v1/track", { ["Content-Type"] = "application/json", ["Authorization"] = authorization }, body)
  end
  local parts = {}
  for i = 1, events do
    counter = counter + 1
    parts[i] = event(counter)
  end
  body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/v1/batch", { ["Content-Type"] = "application/json", ["Authorization"] = authorization }, body)
end

function done(summary, latency, requests)
  local ok = summary.requests - summary.errors.status - summary.errors.connect - summary.errors.read - summary.errors.write - summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT acknowledged_requests=%d acknowledged_events=%d events_per_second=%.0f p50_ms=%.2f p99_ms=%.2f non_2xx=%d\n",
    ok, ok * events, ok * events / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
