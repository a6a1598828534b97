-- Shared by every scenario script (loaded with dofile from the script's own directory).
--
-- The runner writes the data (product ids, customer tokens, search terms, a run tag) to a Lua
-- file and passes its path in BENCH_DATA. Each wrk thread has its own Lua state: `tid` (set in
-- setup) seeds its random numbers, and idempotency keys are tag-tid-counter, so they are unique
-- across threads and runs. Statuses are counted per thread; `done` prints one parseable line:
--   BENCH_RESULT {"requests": ..., "p50_us": ..., ...}

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function bench_init()
  data = dofile(os.getenv("BENCH_DATA"))
  math.randomseed(os.time() + tid * 7919)
  counter = math.random(0, 1000)  -- threads start at different points of a cycle
  issued = 0
  statuses = {}
end

function next_key()
  issued = issued + 1
  return string.format("%s-t%d-%d", data.tag, tid, issued)
end

function pick(list)
  return list[math.random(#list)]
end

function order_request()
  local product = pick(data.products)
  local body = string.format(
    '{"items": [{"product_id": "%s", "quantity": 1}], "payment_token": "tok_visa", '
      .. '"shipping_address": {"name": "Bench Customer", "line1": "1 Load Street", '
      .. '"city": "Testville", "postal_code": "10115", "country": "DE"}}',
    product)
  local headers = {
    ["Authorization"] = "Bearer " .. pick(data.tokens),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = next_key(),
  }
  return wrk.format("POST", "/api/v1/orders", headers, body)
end

function product_request()
  return wrk.format("GET", "/api/v1/products/" .. pick(data.products))
end

function search_request()
  return wrk.format("GET", "/api/v1/products?q=" .. pick(data.queries))
end

function my_orders_request()
  return wrk.format("GET", "/api/v1/orders?page_size=10", {["Authorization"] = "Bearer " .. pick(data.tokens)})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts, non2xx = {}, 0
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, count))
    if status < 200 or status > 299 then non2xx = non2xx + count end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, non2xx, e.connect, e.read, e.write,
    e.timeout, table.concat(parts, ", ")))
end
