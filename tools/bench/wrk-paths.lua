-- wrk script for tools/bench/scale: cycles through a list of request paths
-- (e.g. items queries with different boxes), checks every response and
-- prints one parseable result line, like wrk-check.lua.
--
--   wrk -t2 -c8 -d10s -s tools/bench/wrk-paths.lua http://HOST:PORT -- LIST [MUST_CONTAIN] [THREADS]
--
-- LIST (or the environment variable PATH_LIST) is a file with one request
-- path a line (starting with /). Each wrk thread walks the whole list in
-- order from its own offset (thread i of THREADS at i/THREADS of the list)
-- and wraps around.
--
-- A response is bad when its status is not 200, or its body does not start
-- with "{", or, when MUST_CONTAIN is given (and not ""), the body does not
-- contain it (plain match, e.g. FeatureCollection). Socket errors and
-- timeouts are counted apart (sockerr).
--
-- done() prints, on a line of its own:
--   WRKCHECK rps=<req/s> requests=<n> duration_s=<s> p50_ms=<ms> p99_ms=<ms>
--            max_ms=<ms> bad=<n> non200=<n> notjson=<n> missing=<n>
--            sockerr=<n> bytes_per_req=<n> paths=<list length>
--            first_bad=<status>:<first bytes>

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("thread_index", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- Per-thread state; the counters are globals so that done() can read them.
bad, non200, notjson, missing = 0, 0, 0, 0
first_bad = "-"
npaths = 0
local must_contain = nil
local reqs = {}
local pos = 1

function init(args)
   local list = args[1]
   if list == nil or list == "" then list = os.getenv("PATH_LIST") end
   if list == nil then
      error("wrk-paths.lua: give LIST after --, or PATH_LIST")
   end
   if args[2] ~= nil and args[2] ~= "" then must_contain = args[2] end
   local f = assert(io.open(list, "r"), "wrk-paths.lua: cannot open " .. list)
   for line in f:lines() do
      local p = line:match("^%s*(/%S*)")
      if p ~= nil then reqs[#reqs + 1] = wrk.format("GET", p) end
   end
   f:close()
   npaths = #reqs
   if npaths == 0 then error("wrk-paths.lua: no paths in " .. list) end
   local index = thread_index or 0
   local n = tonumber(args[3] or "")
   local start = (n ~= nil and n > 0) and index / n or index * 0.6180339887
   pos = (math.floor(start * npaths) % npaths) + 1
   bad, non200, notjson, missing = 0, 0, 0, 0
   first_bad = "-"
end

function request()
   local r = reqs[pos]
   pos = pos + 1
   if pos > npaths then pos = 1 end
   return r
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
   local t_bad, t_non200, t_notjson, t_missing, n = 0, 0, 0, 0, 0
   local fb = "-"
   for _, thread in ipairs(threads) do
      t_bad = t_bad + (thread:get("bad") or 0)
      t_non200 = t_non200 + (thread:get("non200") or 0)
      t_notjson = t_notjson + (thread:get("notjson") or 0)
      t_missing = t_missing + (thread:get("missing") or 0)
      n = thread:get("npaths") or n
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
      "bad=%d non200=%d notjson=%d missing=%d sockerr=%d bytes_per_req=%d paths=%d first_bad=%s\n",
      rps, summary.requests, secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t_bad, t_non200, t_notjson, t_missing, sockerr, bpr, n, fb))
end
