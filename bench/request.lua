-- wrk script for bench/run.py: one request shape per run, from the environment, and a machine-readable
-- summary line at the end (wrk's own text output is for humans).
--   BENCH_METHOD     GET or POST (default GET)
--   BENCH_PATH       request target (default /)
--   BENCH_BODY       request body; sent with Content-Type: application/json when set
--   BENCH_PACE_MS    when > 0, every connection waits on average this long between requests (uniformly
--                    0 to 2x, so that connections do not move in lockstep and arrive as one burst): an
--                    offered load below saturation, where latency is service time rather than queueing
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
if body and #body > 0 then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "0") or 0
if pace > 0 then
  -- Each wrk thread has its own Lua state; seed each differently.
  math.randomseed(os.time() + math.floor(os.clock() * 1000000) + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0) % 100000)
  function delay()
    return math.random(0, 2 * pace)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
