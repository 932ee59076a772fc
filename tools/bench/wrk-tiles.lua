-- wrk script for tools/bench/tiles: cycles through a list of map tiles,
-- checks every response and prints one parseable result line.
--
--   wrk -t2 -c8 -d10s -s tools/bench/wrk-tiles.lua http://HOST:PORT -- LIST TEMPLATE [THREADS]
--
-- LIST (or the environment variable TILE_LIST) is a file with one tile a
-- line, "z x y". TEMPLATE (or TILE_TEMPLATE) is the request path with
-- {z}, {x} and {y} in it, e.g.
--   /tiles/default/{z}/{x}/{y}.png
--   /mapserv?map=tiles&mode=tile&tilemode=gmap&tile={x}+{y}+{z}
-- Each wrk thread walks the whole list in order, starting at its own
-- offset (thread i of THREADS at i/THREADS of the list), and wraps around;
-- its connections share that walk.
--
-- A response is bad when its status is not 200 or its body does not start
-- with the PNG signature (MapServer reports errors as HTTP 200 text/html);
-- with TILE_KIND=mvt in the environment, with a vector tile's first field
-- (layers: byte 0x1a).
-- Socket errors and timeouts are counted apart (sockerr).
--
-- done() prints, on a line of its own:
--   WRKCHECK rps=<req/s> requests=<n> duration_s=<s> p50_ms=<ms> p99_ms=<ms>
--            max_ms=<ms> bad=<n> non200=<n> notpng=<n> sockerr=<n>
--            bytes_per_req=<n> tiles=<list length> first_bad=<status>:<first bytes>
-- (one line; first_bad is "-" when every response was good).

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("thread_index", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state); the counters
-- are globals so that done() can read them with thread:get().
bad, non200, notpng = 0, 0, 0
first_bad = "-"
ntiles = 0
local paths = {}
local pos = 1

local PNG_SIGNATURE = "\137PNG\r\n\26\n"
local SIGNATURE = os.getenv("TILE_KIND") == "mvt" and "\26" or PNG_SIGNATURE

function init(args)
   local list = args[1]
   if list == nil or list == "" then list = os.getenv("TILE_LIST") end
   local template = args[2]
   if template == nil or template == "" then template = os.getenv("TILE_TEMPLATE") end
   if list == nil or template == nil then
      error("wrk-tiles.lua: give LIST and TEMPLATE after --, or TILE_LIST and TILE_TEMPLATE")
   end
   local f = assert(io.open(list, "r"), "wrk-tiles.lua: cannot open " .. list)
   for line in f:lines() do
      local z, x, y = line:match("^%s*(%d+)%s+(%d+)%s+(%d+)")
      if z ~= nil then
         local p = template:gsub("{z}", z):gsub("{x}", x):gsub("{y}", y)
         paths[#paths + 1] = wrk.format("GET", p)
      end
   end
   f:close()
   ntiles = #paths
   if ntiles == 0 then error("wrk-tiles.lua: no tiles in " .. list) end
   -- spread the threads over the list: thread i of n starts at i/n (n from
   -- args[3] or WRK_TILES_THREADS; without it, at i * 0.618 of the list)
   local index = thread_index or 0
   local n = tonumber(args[3] or os.getenv("WRK_TILES_THREADS") or "")
   local start = (n ~= nil and n > 0) and index / n or index * 0.6180339887
   pos = (math.floor(start * ntiles) % ntiles) + 1
   bad, non200, notpng = 0, 0, 0
   first_bad = "-"
end

function request()
   local r = paths[pos]
   pos = pos + 1
   if pos > ntiles then pos = 1 end
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
   if body == nil or body:sub(1, #SIGNATURE) ~= SIGNATURE then
      notpng = notpng + 1
      is_bad = true
   end
   if is_bad then
      bad = bad + 1
      note_bad(status, body)
   end
end

function done(summary, latency, requests)
   local t_bad, t_non200, t_notpng, n = 0, 0, 0, 0
   local fb = "-"
   for _, thread in ipairs(threads) do
      t_bad = t_bad + (thread:get("bad") or 0)
      t_non200 = t_non200 + (thread:get("non200") or 0)
      t_notpng = t_notpng + (thread:get("notpng") or 0)
      n = thread:get("ntiles") or n
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
      "bad=%d non200=%d notpng=%d sockerr=%d bytes_per_req=%d tiles=%d first_bad=%s\n",
      rps, summary.requests, secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t_bad, t_non200, t_notpng, sockerr, bpr, n, fb))
end
