-- Makes every request's URL distinct (&n=<thread>-<counter>), so no two share
-- a page-cache entry: the "cold query" case. Prints wrk_report.lua's JSON line.
local counter = 0
local id = 0
local path = nil

setup = function(thread)
  id = id + 1
  thread:set("id", id)
end

request = function()
  counter = counter + 1
  path = path or wrk.path
  local sep = string.find(path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, path .. sep .. "n=" .. id .. "-" .. counter)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, errors))
end
