-- wrk script for bench/run.py: request shape from the environment, results as JSON.
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (POST)
--   BENCH_AUTH    value of the Authorization header
--   BENCH_COOKIE  value of the Cookie header
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")
local cookie = os.getenv("BENCH_COOKIE")

wrk.method = method
wrk.headers["Accept"] = "application/json, text/html"
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

-- Latencies are in microseconds. errors.status counts responses with status >= 400.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,' ..
    '"non2xx":%.0f,"connect_errors":%.0f,"read_errors":%.0f,"write_errors":%.0f,' ..
    '"timeouts":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect, e.read, e.write, e.timeout))
end
