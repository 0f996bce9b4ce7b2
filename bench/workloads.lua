-- wrk script for bench/run.py's realistic workloads (bench/workloads.py), one per
-- BENCH_WORKLOAD; the URL on wrk's command line is the task list, /api/v1/tasks/.
--
--   read_after_write  POST BENCH_BODY, and once that POST is answered (201) a GET of the
--                     list, then the next POST: every GET follows its own connection's write,
--                     so no answer cached before that write can serve it. Requests/s counts
--                     both. bench/run.py runs it with one wrk thread per connection (-t = -c),
--                     so each thread's Lua state is its connection's state. The user is
--                     BENCH_AUTH's, or (no BENCH_AUTH) the k-th token of BENCH_TOKENS_FILE for
--                     connection k: one user per connection.
--   page_through      GET ?page=N, N cycling over 1..BENCH_PAGES; thread k of BENCH_THREADS
--                     starts 1 + k * BENCH_PAGES / BENCH_THREADS pages in, so the threads
--                     walk different pages.
--   many_users        GET with a token drawn at random per request from BENCH_TOKENS_FILE
--                     (a JSON array of access tokens).
--
--   BENCH_AUTH        Authorization header (page_through; read_after_write on one user)
--
-- done() prints the same BENCH_JSON line as wrk.lua, with non-2xx counted here for
-- read_after_write (wrk itself counts only statuses >= 400).

local mode = os.getenv("BENCH_WORKLOAD")
local auth = os.getenv("BENCH_AUTH") or ""
local accept = "application/json, text/html"

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function headers_with(authorization, content_type)
  local headers = { ["Accept"] = accept }
  if authorization ~= "" then
    headers["Authorization"] = authorization
  end
  if content_type then
    headers["Content-Type"] = content_type
  end
  return headers
end

local function tokens_from(name)
  local file = assert(io.open(os.getenv(name), "r"))
  local text = file:read("*a")
  file:close()
  local tokens = {}
  for token in text:gmatch('"([^"]+)"') do
    table.insert(tokens, token)
  end
  assert(#tokens > 0, "no tokens in " .. name)
  return tokens
end

-- Each thread's own state (set in init, read by request/response).
local requests_built = {}
local next_page = 0
local get_next = false -- read_after_write: the last POST was answered, the GET is due
posts, gets, non2xx = 0, 0, 0

function init(args)
  local path = wrk.path
  if mode == "read_after_write" then
    local user = auth
    if user == "" then
      local tokens = tokens_from("BENCH_TOKENS_FILE")
      user = "Bearer " .. tokens[thread_index % #tokens + 1]
    end
    local body = os.getenv("BENCH_BODY")
    requests_built.post = wrk.format("POST", path, headers_with(user, "application/json"), body)
    requests_built.get = wrk.format("GET", path, headers_with(user))
  elseif mode == "page_through" then
    local pages = tonumber(os.getenv("BENCH_PAGES"))
    local thread_count = tonumber(os.getenv("BENCH_THREADS")) or 1
    local separator = path:find("?", 1, true) and "&" or "?"
    for page = 1, pages do
      requests_built[page] = wrk.format("GET", path .. separator .. "page=" .. page,
        headers_with(auth))
    end
    next_page = (thread_index * math.floor(pages / thread_count)) % pages
  elseif mode == "many_users" then
    for _, token in ipairs(tokens_from("BENCH_TOKENS_FILE")) do
      table.insert(requests_built, wrk.format("GET", path, headers_with("Bearer " .. token)))
    end
    math.randomseed(os.time() * 100 + thread_index)
  else
    error("BENCH_WORKLOAD must be read_after_write, page_through or many_users")
  end
end

function request()
  if mode == "read_after_write" then
    if get_next then
      gets = gets + 1
      return requests_built.get
    end
    posts = posts + 1
    return requests_built.post
  elseif mode == "page_through" then
    next_page = next_page % #requests_built + 1
    return requests_built[next_page]
  end
  return requests_built[math.random(#requests_built)]
end

if mode == "read_after_write" then
  -- Defined only here: wrk parses every response's headers and body for a script that
  -- has response(), which costs its own CPU (on the machine it measures).
  -- One connection per thread: this answers the request() before it.
  function response(status, headers, body)
    -- After a GET, or a POST that failed, the next request is a POST.
    get_next = not get_next and status == 201
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    end
  end
end

-- Latencies are in microseconds. "non2xx" is wrk's errors.status (>= 400) except for
-- read_after_write, which counts every status outside 200-299 itself.
done = function(summary, latency, requests)
  local e = summary.errors
  local sent_posts, sent_gets, counted_non2xx = 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_posts = sent_posts + thread:get("posts")
    sent_gets = sent_gets + thread:get("gets")
    counted_non2xx = counted_non2xx + thread:get("non2xx")
  end
  local bad = e.status
  if mode == "read_after_write" then
    bad = counted_non2xx
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,' ..
    '"non2xx":%.0f,"connect_errors":%.0f,"read_errors":%.0f,"write_errors":%.0f,' ..
    '"timeouts":%.0f,"posts_sent":%.0f,"gets_sent":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    bad, e.connect, e.read, e.write, e.timeout, sent_posts, sent_gets))
end
