-- wrk script for bench/intake.py.
-- BENCH_MODE=intake posts cases; BENCH_MODE=bare posts the same bodies to the bare endpoint.
-- Every request gets a fresh Idempotency-Key, BENCH_RUN .. "-" .. thread .. "-" .. counter,
-- also written into the body (external_refs.bench, the "__KEY__" of each line of
-- BENCH_BODIES), so the 201 answer names its key: done() prints, per thread, how many requests
-- were sent and which keys were answered 201, and intake.py compares that with the database.
local mode = os.getenv("BENCH_MODE") or "intake"
local run = os.getenv("BENCH_RUN") or "r"
local token = os.getenv("BENCH_TOKEN") or ""
local bodies = {}
local threads = {}
local counter = 0
-- Globals, so that done() can read them from each thread (thread:get).
id = 0
sent = 0
statuses = {}
answered = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    table.insert(bodies, line)
  end
end

function request()
  counter = counter + 1
  sent = counter
  local key = run .. "-" .. id .. "-" .. counter
  local body = string.gsub(bodies[((counter * 7 + id * 101) % #bodies) + 1], "__KEY__", key)
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = key}
  if mode == "intake" then
    headers["Authorization"] = "Bearer " .. token
    return wrk.format("POST", "/api/v1/cases", headers, body)
  end
  return wrk.format("POST", "/bench/bare", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 and mode == "intake" then
    local key = string.match(body, '"bench": ?"([^"]+)"')
    if key then
      table.insert(answered, key)
    end
  end
end

function done(summary, latency, requests)
  local merged, parts, per = {}, {}, {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      merged[code] = (merged[code] or 0) + n
    end
    local keys = {}
    for _, k in ipairs(t:get("answered")) do
      table.insert(keys, '"' .. k .. '"')
    end
    table.insert(per, string.format('"%s": {"sent": %d, "answered": [%s]}',
      t:get("id"), t:get("sent"), table.concat(keys, ",")))
  end
  for code, n in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"statuses": {%s}, "threads": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    table.concat(parts, ", "), table.concat(per, ", ")))
end
