-- wrk script for tools/bench/oapif: checks every response and prints one
-- parseable result line.
--
--   wrk -t2 -c8 -d10s -s tools/bench/wrk-check.lua URL [-- MUST_CONTAIN]
--
-- A response is bad when its status is not 200, or its body does not start
-- with "{" (MapServer reports errors as HTTP 200 text/html), or, when a
-- MUST_CONTAIN string is given, the body does not contain it (plain match,
-- e.g. FeatureCollection). Socket errors and timeouts are counted apart.
--
-- done() prints, on a line of its own:
--   WRKCHECK rps=<req/s> requests=<n> duration_s=<s> p50_ms=<ms> p99_ms=<ms>
--            max_ms=<ms> bad=<n> non200=<n> notjson=<n> missing=<n>
--            sockerr=<n> bytes_per_req=<n> first_bad=<status>:<first bytes>
-- (one line; first_bad is "-" when every response was good).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state); globals, so
-- that done() can read them with thread:get().
local must_contain = nil
bad, non200, notjson, missing = 0, 0, 0, 0
first_bad = "-"

function init(args)
   if args[1] ~= nil and args[1] ~= "" then
      must_contain = args[1]
   end
   bad, non200, notjson, missing = 0, 0, 0, 0
   first_bad = "-"
end

local function note_bad(status, body)
   if first_bad == "-" then
      local snippet = (body or ""):sub(1, 120):gsub("[%c%s]+", "_")
      first_bad = tostring(status) .. ":" .. snippet
   end
end

function response(status, headers, body)
   local is_bad = false
   if status ~= 200 then
      non200 = non200 + 1
      is_bad = true
   end
   if body == nil or body:sub(1, 1) ~= "{" then
      notjson = notjson + 1
      is_bad = true
   elseif must_contain ~= nil and not body:find(must_contain, 1, true) then
      missing = missing + 1
      is_bad = true
   end
   if is_bad then
      bad = bad + 1
      note_bad(status, body)
   end
end

function done(summary, latency, requests)
   local t_bad, t_non200, t_notjson, t_missing = 0, 0, 0, 0
   local fb = "-"
   for _, thread in ipairs(threads) do
      t_bad = t_bad + (thread:get("bad") or 0)
      t_non200 = t_non200 + (thread:get("non200") or 0)
      t_notjson = t_notjson + (thread:get("notjson") or 0)
      t_missing = t_missing + (thread:get("missing") or 0)
      local b = thread:get("first_bad")
      if fb == "-" and b ~= nil and b ~= "-" then
         fb = b
      end
   end
   local e = summary.errors
   local sockerr = e.connect + e.read + e.write + e.timeout
   local secs = summary.duration / 1e6
   local rps = 0
   local bpr = 0
   if secs > 0 then rps = summary.requests / secs end
   if summary.requests > 0 then bpr = summary.bytes / summary.requests end
   io.write(string.format(
      "WRKCHECK rps=%.1f requests=%d duration_s=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
      "bad=%d non200=%d notjson=%d missing=%d sockerr=%d bytes_per_req=%d first_bad=%s\n",
      rps, summary.requests, secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t_bad, t_non200, t_notjson, t_missing, sockerr, bpr, fb))
end
