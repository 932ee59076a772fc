-- wrk script for tools/load: the mixed workload of a map client (mostly
-- tiles, some features, networks, distances, static maps, and a few bad
-- requests), every response checked; one parseable result line.
--
--   wrk -t2 -c256 -d60s -s tools/bench/wrk-mixed.lua http://HOST:PORT -- [KEY=VALUE...]
--
-- Arguments (all optional):
--   seed=N      base seed; thread i uses N + i (default 1), so a run repeats
--   towns=N     towns in the served data: ids 0..N-1 are used by /distances
--               (default 24, the shipped data; tools/load reads /health)
--   etag=TEXT   the ETag of REVALIDATE_PATH below; with it, some requests
--               revalidate that tile (If-None-Match) and must get a 304
--
-- wrk gives response() no handle on the request it answers, and each
-- thread has many connections in flight, so a response is matched to its
-- request kind by what it is: a PNG by its IHDR size (256, 512, 400x300),
-- JSON by its first member, HTML, gzip, 304, and each planned 4xx by its
-- status and error text. Per kind the thread counts what it sent; a
-- response of a kind with nothing outstanding is unexpected too. Counted:
--   unexpected  a status no request asked for (5xx, an unplanned 4xx, a
--               200 where a 4xx was planned, or more of a kind than sent)
--   badbody     a 200 whose body is of no kind (not PNG/JSON/HTML, a PNG of
--               the wrong size or type)
--   sockerr     wrk's connect/read/write/timeout errors (apart)
--
-- done() prints, each on one line:
--   WRKMIXED requests=<n> rps=<req/s> duration_s=<s> p50_ms= p99_ms= max_ms=
--            ok=<n> expected4xx=<n> not_modified=<n> unexpected=<n>
--            badbody=<n> status5xx=<n> sockerr=<n> connect= read= write=
--            timeout= inflight=<n> bytes_per_req=<n> first_bad=<...>
--   WRKMIXED_KINDS <kind>=<answered>/<sent> ...
-- (first_bad: kind:status:first bytes of the first bad response, or "-";
-- inflight: sent but not answered when wrk stopped, about one per
-- connection).

local REVALIDATE_PATH = "/tiles/default/10/557/360.png"

-- The area of BENCHMARKING.md and tools/bench/tiles.
local W, S, E, N = 14.8, 46.0, 17.6, 47.6
local ZMIN, ZMAX = 7, 14
local BAD_ZOOM = 23 -- above the highest --max-zoom allowed (22): always 404

-- name, weight (per 1000 requests), as a typical map client would ask.
local MIX = {
   {"tile", 560}, {"tile2x", 220}, {"revalidate", 30},
   {"items", 25}, {"regions", 25}, {"gzip", 10}, {"html", 10},
   {"network", 20}, {"metrics", 10}, {"distances", 15},
   {"tilejson", 10}, {"health", 5}, {"map", 20},
   {"bad_zoom", 5}, {"bad_bbox", 5}, {"bad_k", 5},
   {"bad_collection", 5}, {"bad_tileaddr", 5}, {"bad_town", 5},
}

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("thread_index", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state); globals, so
-- that done() can read them with thread:get().
sent, got = {}, {}
ok, expected4xx, not_modified, unexpected, badbody, status5xx = 0, 0, 0, 0, 0, 0
first_bad = "-"

local ntowns = 24
local etag = nil
local cumulative = {} -- {upper bound, kind}
local total_weight = 0
local txmin, txmax, tymin, tymax = {}, {}, {}, {}

local function tile_x(lon, z) return math.floor((lon + 180) / 360 * 2 ^ z) end
local function tile_y(lat, z)
   local phi = math.rad(lat)
   return math.floor((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * 2 ^ z)
end

function init(args)
   local seed = 1
   for _, a in ipairs(args) do
      local k, v = a:match("^(%w+)=(.*)$")
      if k == "seed" then seed = tonumber(v) or 1
      elseif k == "towns" then ntowns = math.max(1, tonumber(v) or 24)
      elseif k == "etag" and v ~= "" then etag = v
      elseif k == nil then error("wrk-mixed.lua: arguments are KEY=VALUE, got " .. a)
      end
   end
   math.randomseed(seed + (thread_index or 0))
   for z = ZMIN, ZMAX do
      txmin[z], txmax[z] = tile_x(W, z), tile_x(E, z)
      tymin[z], tymax[z] = tile_y(N, z), tile_y(S, z)
   end
   for _, m in ipairs(MIX) do
      local name, weight = m[1], m[2]
      if name == "revalidate" and etag == nil then name = "tile" end
      total_weight = total_weight + weight
      cumulative[#cumulative + 1] = {total_weight, name}
      sent[name], got[name] = 0, 0
   end
end

local function pick(list) return list[math.random(#list)] end

-- a random box inside the area, spans in degrees
local function random_bbox(min_span, max_span)
   local sx = min_span + math.random() * (max_span - min_span)
   local sy = sx * 0.6
   local w = W + math.random() * (E - W - sx)
   local s = S + math.random() * (N - S - sy)
   return string.format("%.4f,%.4f,%.4f,%.4f", w, s, w + sx, s + sy)
end

local function random_towns(max)
   local ids = {}
   for i = 1, math.random(max) do ids[i] = tostring(math.random(0, ntowns - 1)) end
   return table.concat(ids, ",")
end

local function random_tile(suffix)
   local z = math.random(ZMIN, ZMAX)
   local style = math.random() < 0.9 and "default" or "light"
   return string.format("/tiles/%s/%d/%d/%d%s.png", style, z,
                        math.random(txmin[z], txmax[z]), math.random(tymin[z], tymax[z]), suffix)
end

local function network_query()
   local m = math.random(8)
   local q
   if m == 1 then q = "model=knn&k=" .. math.random(1, 5)
   elseif m == 2 then q = "model=within&km=" .. math.random(10, 60)
   elseif m == 3 then q = "model=complete"
   else q = "model=" .. pick({"mst", "delaunay", "gabriel", "rng", "edges"})
   end
   local r = math.random(6)
   if r == 1 then q = q .. "&cross_border=true"
   elseif r == 2 then q = q .. "&country=SI,AT"
   end
   return q
end

local GZIP = {["Accept-Encoding"] = "gzip"}

local builders = {
   tile = function() return random_tile("") end,
   tile2x = function() return random_tile("@2x") end,
   revalidate = function() return REVALIDATE_PATH, {["If-None-Match"] = etag} end,
   items = function()
      return pick({
         "/collections/towns/items?limit=100",
         "/collections/towns/items?limit=100&country=SI",
         "/collections/towns/items?limit=10&offset=" .. math.random(0, ntowns - 1),
         "/collections/towns/items?limit=100&properties=name,population",
         "/collections/towns/items?limit=100&crs=http://www.opengis.net/def/crs/EPSG/0/3857",
         "/collections/towns/items?limit=100&bbox=" .. random_bbox(0.3, 1.5),
         "/collections/towns/items/" .. math.random(0, ntowns - 1),
      })
   end,
   regions = function() return "/collections/regions/items?limit=100&bbox=" .. random_bbox(0.1, 1.0) end,
   gzip = function() return "/collections/towns/items?limit=100", GZIP end,
   html = function()
      return pick({"/collections/towns/items?limit=100&f=html",
                   "/collections/regions/items?f=html&limit=100&bbox=" .. random_bbox(0.1, 1.0),
                   "/collections?f=html"})
   end,
   network = function() return "/network?" .. network_query() end,
   metrics = function() return "/network/metrics?" .. network_query() end,
   distances = function() return "/distances?from=" .. random_towns(3) .. "&to=" .. random_towns(3) end,
   tilejson = function() return pick({"/tiles/default.json", "/tiles/light.json"}) end,
   health = function() return "/health" end,
   map = function()
      return "/map.png?bbox=" .. random_bbox(0.2, 1.4) .. "&width=400&height=300" ..
         (math.random() < 0.2 and "&style=light" or "")
   end,
   bad_zoom = function()
      return string.format("/tiles/default/%d/%d/%d.png", BAD_ZOOM,
                           math.random(0, 2 ^ 22), math.random(0, 2 ^ 22))
   end,
   bad_bbox = function() return "/collections/towns/items?bbox=16,47,17" end,
   bad_k = function() return "/network?model=knn&k=0" end,
   bad_collection = function() return "/collections/nope/items" end,
   bad_tileaddr = function() return "/tiles/default/10/x/360.png" end,
   bad_town = function() return "/distances?from=nowhere&to=0" end,
}

-- planned 4xx: kind, status, a plain string the error body must contain
local PLANNED = {
   {"bad_zoom", 404, '"no tile ' .. BAD_ZOOM .. '/'},
   {"bad_bbox", 400, "bbox: want 4 or 6 numbers, got 3"},
   {"bad_k", 400, "k: '0' is not"},
   {"bad_collection", 404, "no collection 'nope'"},
   {"bad_tileaddr", 400, "tile address must be"},
   {"bad_town", 400, "unknown town 'nowhere'"},
}

function request()
   local r = math.random(total_weight)
   local kind = "tile"
   for _, c in ipairs(cumulative) do
      if r <= c[1] then kind = c[2]; break end
   end
   local path, headers = builders[kind]()
   sent[kind] = sent[kind] + 1
   return wrk.format("GET", path, headers)
end

local PNG = "\137PNG\r\n\26\n"
local PNG_SIZES = {["256x256"] = "tile", ["512x512"] = "tile2x", ["400x300"] = "map"}

local function be32(s, i)
   local a, b, c, d = s:byte(i, i + 3)
   return ((a * 256 + b) * 256 + c) * 256 + d
end

-- the kind a 200 answers, or nil
local function kind_of_200(headers, body)
   local head = body:sub(1, 8)
   if head == PNG then
      if #body < 24 or (headers["Content-Type"] or headers["content-type"]) ~= "image/png" then
         return nil
      end
      return PNG_SIZES[be32(body, 17) .. "x" .. be32(body, 21)]
   end
   if head:sub(1, 2) == "\31\139" then
      local enc = headers["Content-Encoding"] or headers["content-encoding"]
      return enc == "gzip" and "gzip" or nil
   end
   local c = head:sub(1, 1)
   if c == "{" then
      local p = body:sub(1, 400)
      if p:find('^{"type":"FeatureCollection","numberMatched"') then
         if p:find("/collections/regions/items", 1, true) then return "regions" end
         if p:find("/collections/towns/items", 1, true) then return "items" end
         return nil
      end
      if p:find('^{"type":"Feature",') then return "items" end
      if p:find('^{"type":"FeatureCollection","model"') then return "network" end
      if p:find('^{"model"') then return "metrics" end
      if p:find('^{"unit":"km"') then return "distances" end
      if p:find('^{"tilejson"') then return "tilejson" end
      if p:find('^{"status":"ok"') then return "health" end
      return nil
   end
   if c == "<" and body:sub(1, 15) == "<!DOCTYPE html>" then return "html" end
   return nil
end

local function kind_of_4xx(status, body)
   if body:sub(1, 8) ~= '{"code":' then return nil end
   for _, p in ipairs(PLANNED) do
      if status == p[2] and body:find(p[3], 1, true) then return p[1] end
   end
   return nil
end

local function note_bad(what, status, body)
   if first_bad == "-" then
      local snippet = (body or ""):sub(1, 100):gsub("[%c%s]+", "_")
      first_bad = what .. ":" .. tostring(status) .. ":" .. snippet
   end
end

function response(status, headers, body)
   body = body or ""
   local kind
   if status == 200 then
      kind = kind_of_200(headers, body)
      if kind == nil then
         badbody = badbody + 1
         note_bad("badbody", status, body)
         return
      end
   elseif status == 304 then
      kind = (#body == 0) and "revalidate" or nil
   elseif status >= 400 and status < 500 then
      kind = kind_of_4xx(status, body)
   end
   if status >= 500 then status5xx = status5xx + 1 end
   if kind == nil or got[kind] == nil or got[kind] >= sent[kind] then
      unexpected = unexpected + 1
      note_bad(kind or "unexpected", status, body)
      return
   end
   got[kind] = got[kind] + 1
   if status == 304 then not_modified = not_modified + 1
   elseif status >= 400 then expected4xx = expected4xx + 1
   else ok = ok + 1 end
end

function done(summary, latency, requests)
   local t = {ok = 0, expected4xx = 0, not_modified = 0, unexpected = 0, badbody = 0, status5xx = 0}
   local ksent, kgot = {}, {}
   local fb = "-"
   for _, thread in ipairs(threads) do
      for k in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
      for k, v in pairs(thread:get("sent") or {}) do ksent[k] = (ksent[k] or 0) + v end
      for k, v in pairs(thread:get("got") or {}) do kgot[k] = (kgot[k] or 0) + v end
      local b = thread:get("first_bad")
      if fb == "-" and b ~= nil and b ~= "-" then fb = b end
   end
   local e = summary.errors
   local sockerr = e.connect + e.read + e.write + e.timeout
   local secs = summary.duration / 1e6
   local rps, bpr = 0, 0
   if secs > 0 then rps = summary.requests / secs end
   if summary.requests > 0 then bpr = summary.bytes / summary.requests end
   local inflight, kinds = 0, {}
   for _, m in ipairs(MIX) do
      local k = m[1]
      if ksent[k] ~= nil then
         inflight = inflight + ksent[k] - (kgot[k] or 0)
         kinds[#kinds + 1] = string.format("%s=%d/%d", k, kgot[k] or 0, ksent[k])
      end
   end
   io.write(string.format(
      "WRKMIXED requests=%d rps=%.1f duration_s=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
      "ok=%d expected4xx=%d not_modified=%d unexpected=%d badbody=%d status5xx=%d " ..
      "sockerr=%d connect=%d read=%d write=%d timeout=%d inflight=%d bytes_per_req=%d first_bad=%s\n",
      summary.requests, rps, secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      t.ok, t.expected4xx, t.not_modified, t.unexpected, t.badbody, t.status5xx,
      sockerr, e.connect, e.read, e.write, e.timeout, inflight, bpr, fb))
   io.write("WRKMIXED_KINDS " .. table.concat(kinds, " ") .. "\n")
end
