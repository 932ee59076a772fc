#!/usr/bin/env bash
# OGC API - Features with real clients: GDAL's OAPIF driver (ogrinfo,
# ogr2ogr), an OpenAPI 3 parser, and curl for every parameter, error, cache,
# CORS, gzip and paging behaviour.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
start_server --project "$WORK/data/coopmap.json" --threads 2
U=${BASE%/}

# --- GDAL's OGC API driver -------------------------------------------------
ogrinfo -ro -al -so "OAPIF:$U/" >"$WORK/ogrinfo" 2>&1 || true
"$COOPMAP_BIN" info --json --project "$WORK/data/coopmap.json" >"$WORK/info.json"
for layer in towns regions countries rivers; do
    expect=$($PY -c "import json; l=[l for l in json.load(open('$WORK/info.json'))['layers'] if l['id']=='$layer'][0]; print(l['features'], '(%.6f, %.6f) - (%.6f, %.6f)' % tuple(l['extent']))")
    count=${expect%% *} extent=${expect#* }
    check "ogrinfo OAPIF: $layer has $count features" \
        grep -A12 "^Layer name: $layer\$" "$WORK/ogrinfo" -q -e "Feature Count: $count\$"
    check "ogrinfo OAPIF: $layer extent $extent" \
        bash -c "grep -A12 '^Layer name: $layer\$' '$WORK/ogrinfo' | grep -qF 'Extent: $extent'"
done

ogr2ogr -f GPKG "$WORK/out.gpkg" "OAPIF:$U/" towns regions rivers countries 2>"$WORK/ogr2ogr.err"
check "ogr2ogr OAPIF -> GPKG succeeded" test -s "$WORK/out.gpkg"
for pair in cities:towns regions:regions rivers:rivers countries:countries; do
    src=${pair%%:*} dst=${pair#*:}
    check "ogr2ogr copy of $dst equals the source (attributes, vertices to 1e-7 deg)" \
        /usr/bin/python3 "$HERE/compare_layers.py" "$WORK/data/$src.geojson" "$src" "$WORK/out.gpkg" "$dst"
done
# The comparison itself must be able to fail: one changed population.
mkdir "$WORK/tampered"
sed 's/"population": 1368,/"population": 1369,/' "$WORK/data/cities.geojson" >"$WORK/tampered/cities.geojson"
/usr/bin/python3 "$HERE/compare_layers.py" "$WORK/tampered/cities.geojson" cities "$WORK/out.gpkg" towns >"$WORK/cmp" 2>&1 && status=0 || status=$?
check "the comparison catches one changed attribute" grep -q "population = 1369 in the source, 1368 in the copy" "$WORK/cmp"
check "... and exits 1 for it" test "$status" = 1

# --- OpenAPI --------------------------------------------------------------
check "/api is a valid OpenAPI 3 document" node "$COOPMAP_ROOT/tests/node/validate-openapi.mjs" "$U/api"
http GET /api
check "/api content type" test "$(header Content-Type)" = "application/vnd.oai.openapi+json;version=3.0"
check "/api documents the towns' country filter" test "$(json "[p['name'] for p in d['paths']['/collections/towns/items']['get']['parameters'] if 'name' in p].count('country')")" = 1

# --- landing, conformance, collections --------------------------------------
http GET /
check "landing links" test "$(json "sorted(l['rel'].split('/')[-1] for l in d['links'] if l['rel'] != 'enclosure')")" = "['alternate', 'conformance', 'data', 'self', 'service-desc', 'service-doc', 'styles', 'tilesets-map', 'tiling-schemes']"
check "landing links three downloads per collection" test "$(json "len([l for l in d['links'] if l['rel'] == 'enclosure'])")" = 18
check "landing carries the attribution" bash -c "grep -q EuroGeographics '$WORK/body'"
http GET / -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
check "a browser gets HTML" test "$(header Content-Type)" = "text/html; charset=utf-8"
http GET '/?f=json' -H 'Accept: text/html'
check "f=json overrides Accept" test "$(header Content-Type)" = application/json
http GET '/collections?f=html'
check "collections as HTML lists towns" bash -c "grep -q 'Towns of City Cooperation' '$WORK/body'"
http GET /conformance
check "conformance lists exactly what is implemented (5 Features, 4 Filtering, 1 Schemas, 1 Sorting, 9 CQL2, 7 Tiles, 1 TMS)" \
    test "$(json "len(d['conformsTo'])")" = 28
http GET /collections
check "6 collections" test "$(json "[c['id'] for c in d['collections']]")" = "['towns', 'regions', 'countries', 'rivers', 'ties', 'network']"
http GET /collections/towns
check "towns offers CRS84, 4326, 3857" test "$(json "len(d['crs'])")" = 3
check "towns items link is geo+json" test "$(json "[l['type'] for l in d['links'] if l['rel']=='items'][0]")" = application/geo+json
check "towns extent from the data" test "$(json "d['extent']['spatial']['bbox'][0][0]")" = 15.61667

# --- items ------------------------------------------------------------------
http GET '/collections/towns/items?limit=100'
check "all 24 towns" test "$(json "(d['numberMatched'], d['numberReturned'])")" = "(24, 24)"
check "items are geo+json" test "$(header Content-Type)" = application/geo+json
check "Content-Crs is CRS84" test "$(header Content-Crs)" = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
check "UTF-8 names exact" test "$(json "sorted(f['properties']['name'] for f in d['features'] if f['properties']['name'][0] in 'OŐF')")" = "['Fehring', 'Feldbach', 'Friedberg', 'Fürstenfeld', 'Ormož', 'Őriszentpéter']"
check "coordinates rounded to 1e-7 degrees" bash -c "! grep -qE '[0-9]\.[0-9]{8,}' '$WORK/body'"
http GET '/collections/towns/items'
check "default limit is 1000: every town on the first page" test "$(json "(d['numberReturned'], 'next' in [l['rel'] for l in d['links']])")" = "(24, False)"
http GET '/collections/towns/items?country=SI&limit=50'
check "filter country=SI gives the 9 Slovenian towns" test "$(json "(d['numberMatched'], {f['properties']['country'] for f in d['features']})")" = "(9, {'SI'})"
http GET '/collections/towns/items?name=Ptuj'
check "filter name=Ptuj" test "$(json "[f['properties']['name'] for f in d['features']]")" = "['Ptuj']"
http GET '/collections/towns/items?population=abc'
check "non-integer filter value on an integer field is 400" test "$STATUS" = 400
http GET '/collections/towns/items?name=Ptuj&properties=name,country'
check "properties=name,country selects them" test "$(json "list(d['features'][0]['properties'])")" = "['name', 'country']"
http GET '/collections/towns/items?limit=100000'
check "limit above 10000 is capped, not an error" test "$STATUS,$(json "d['numberReturned']")" = "200,24"

# bbox: regions touched by a box around Murska Sobota, by index + exact test
http GET '/collections/regions/items?bbox=16.1,46.6,16.2,46.7&limit=100'
check "bbox on regions" test "$(json "sorted(f['id'] for f in d['features'])")" = "['SI03', 'SI031']"
http GET '/collections/regions/items?bbox=16.1,46.6,0,16.2,46.7,900&limit=100'
check "6-number bbox" test "$(json "sorted(f['id'] for f in d['features'])")" = "['SI03', 'SI031']"
http GET '/collections/regions/items?bbox=46.6,16.1,46.7,16.2&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&limit=100'
check "bbox-crs EPSG:4326 (lat,lon)" test "$(json "sorted(f['id'] for f in d['features'])")" = "['SI03', 'SI031']"
merc=$(echo "46.6 16.1
46.7 16.2" | cs2cs -f %.3f EPSG:4326 EPSG:3857 | awk '{printf "%s%s,%s", (NR > 1 ? "," : ""), $1, $2}')
http GET "/collections/regions/items?bbox=$merc&bbox-crs=EPSG:3857&limit=100"
check "bbox-crs EPSG:3857 (cs2cs corners)" test "$(json "sorted(f['id'] for f in d['features'])")" = "['SI03', 'SI031']"
http GET '/collections/towns/items?bbox=15.9,46.5,180,46.8&limit=100'
plain=$(json "sorted(f['id'] for f in d['features'])")
http GET '/collections/towns/items?bbox=15.9,46.5,-179,46.8&limit=100'
check "west > east crosses the antimeridian" test "$(json "sorted(f['id'] for f in d['features'])")" = "$plain"

# output CRSs
http GET '/collections/towns/items?name=Ptuj&crs=http://www.opengis.net/def/crs/EPSG/0/3857'
check "crs=EPSG:3857 header" test "$(header Content-Crs)" = "<http://www.opengis.net/def/crs/EPSG/0/3857>"
xy=$(json "'%s %s' % tuple(d['features'][0]['geometry']['coordinates'])")
http GET '/collections/towns/items?name=Ptuj'
ll=$(json "'%s %s' % tuple(reversed(d['features'][0]['geometry']['coordinates']))")
ref=$(echo "$ll" | cs2cs -f %.2f EPSG:4326 EPSG:3857 | awk '{print $1, $2}')
check "EPSG:3857 coordinates equal cs2cs to 1 cm ($xy vs $ref)" \
    $PY -c "a='$xy'.split(); b='$ref'.split(); import sys; sys.exit(0 if all(abs(float(x)-float(y)) <= 0.011 for x, y in zip(a, b)) else 1)"
http GET '/collections/towns/items?name=Ptuj&crs=EPSG:4326'
check "crs=EPSG:4326 is lat,lon" test "$(json "'%s %s' % tuple(d['features'][0]['geometry']['coordinates'])")" = "$ll"

# right-hand rule: exterior rings counter-clockwise, holes clockwise
http GET '/collections/regions/items?limit=100'
check "polygon rings follow the right-hand rule" $PY -c "
import json
d = json.load(open('$WORK/body'))
def area(r): return sum(a[0]*b[1]-b[0]*a[1] for a, b in zip(r, r[1:]+r[:1]))
bad = [f['id'] for f in d['features'] for p in f['geometry']['coordinates'] for i, r in enumerate(p) if (area(r) > 0) != (i == 0)]
raise SystemExit(1 if bad or len(d['features']) != 40 else 0)"

# one feature
http GET '/collections/regions/items/SI031'
check "feature SI031 by id" test "$(json "(d['id'], d['properties']['name'])")" = "('SI031', 'Pomurska')"
check "feature links" test "$(json "sorted(l['rel'] for l in d['links'])")" = "['alternate', 'collection', 'self']"
http GET '/collections/regions/items/XX999'
check "unknown feature is 404 JSON" test "$STATUS,$(json "d['code']")" = "404,NotFound"

# --- paging: walking next with limit=1 returns every feature exactly once ---
check "paging towns with limit=1 visits all 24 once" $PY - "$U/collections/towns/items?limit=1" 24 <<'PYEOF'
import json, sys, urllib.request
url, want, seen, pages = sys.argv[1], int(sys.argv[2]), [], 0
while url and pages < 100:
    d = json.load(urllib.request.urlopen(url, timeout=10))
    seen += [f["id"] for f in d["features"]]
    url = next((l["href"] for l in d["links"] if l["rel"] == "next"), None)
    pages += 1
sys.exit(0 if len(seen) == want and len(set(seen)) == want and pages == want else 1)
PYEOF
http GET '/collections/towns/items?limit=5&offset=5'
check "prev link goes back to offset 0" test "$(json "[l['href'].split('offset=')[1].split('&')[0] for l in d['links'] if l['rel']=='prev']")" = "['0']"
http GET '/collections/towns/items?offset=1000'
check "offset past the end: empty page, prev link" test "$(json "(d['numberReturned'], 'prev' in [l['rel'] for l in d['links']])")" = "(0, True)"

# --- errors: status, JSON exception, the parameter named --------------------
expect_400() { # expect_400 QUERY WORD
    http GET "/collections/towns/items?$1"
    check "400 for $1" test "$STATUS,$(json "d['code']")" = "400,InvalidParameterValue"
    check "400 for $1 names '$2'" bash -c "grep -q -- '$2' '$WORK/body'"
}
expect_400 'bbox=1,2,3' bbox
expect_400 'bbox=a,b,c,d' bbox
expect_400 'bbox=16,46,17' bbox
expect_400 'bbox=16,95,17,96' latitudes
expect_400 'bbox=16,47,17,46' 'south edge'
expect_400 'bbox=1e999,0,1,1' bbox
expect_400 "bbox=$(printf '1,%.0s' $(seq 1 2000))1" bbox
expect_400 'limit=0' limit
expect_400 'limit=-5' limit
expect_400 'limit=ten' limit
expect_400 'offset=-1' offset
expect_400 'crs=EPSG:31256' crs
expect_400 'bbox-crs=EPSG:2154&bbox=1,2,3,4' bbox-crs
expect_400 'properties=name,elevation' elevation
expect_400 'colour=red' colour
http GET '/collections/nowhere/items'
check "unknown collection is 404 JSON" test "$STATUS,$(json "d['code']")" = "404,NotFound"
http GET '/collections/towns/items?f=xml'
check "f=xml is 406 JSON" test "$STATUS,$(json "d['code']")" = "406,NotAcceptable"
http DELETE '/collections/towns/items'
check "DELETE is 405 with Allow" test "$STATUS,$(header Allow)" = "405,GET, HEAD, OPTIONS"

# --- HTTP behaviour -----------------------------------------------------------
http GET '/collections/towns/items?limit=100'
etag=$(header ETag)
check "strong ETag" bash -c "[[ '$etag' == \\\"* ]]"
check "Last-Modified" test -n "$(header Last-Modified)"
check "Cache-Control" test "$(header Cache-Control)" = "public, max-age=60"
check "CORS header on GET" test "$(header Access-Control-Allow-Origin)" = "*"
http GET '/collections/towns/items?limit=100' -H "If-None-Match: $etag"
check "If-None-Match -> 304" test "$STATUS" = 304
check "304 has no body" test ! -s "$WORK/body"
http GET '/collections/towns/items?limit=100' -H 'If-None-Match: "other"'
check "other ETag -> 200" test "$STATUS" = 200
http OPTIONS '/collections/towns/items' -H 'Origin: https://partner.example' \
    -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: If-None-Match'
check "CORS preflight 204" test "$STATUS" = 204
check "preflight allows GET" bash -c "[[ '$(header Access-Control-Allow-Methods)' == *GET* ]]"
check "preflight echoes the asked headers" test "$(header Access-Control-Allow-Headers)" = If-None-Match
curl -s -H 'Accept-Encoding: gzip' -D "$WORK/gzh" -o "$WORK/gz" "$U/collections/regions/items?limit=100"
curl -s -o "$WORK/plain" "$U/collections/regions/items?limit=100"
check "gzip when accepted" grep -qi '^Content-Encoding: gzip' "$WORK/gzh"
check "gzip body inflates to the same JSON" bash -c "gzip -dc '$WORK/gz' | cmp -s - '$WORK/plain'"
check "gzip shrinks regions below half" test "$(stat -c %s "$WORK/gz")" -lt "$(($(stat -c %s "$WORK/plain") / 2))"
curl -s -D "$WORK/h1" -o /dev/null "$U/collections/towns/items?limit=100"
head_out=$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$U/collections/towns/items?limit=100")
check "HEAD items: 200, no body" test "$head_out" = "200 0"

# ETag changes when the data does (reload)
sed -i 's/"population": 1368,/"population": 1369,/' "$WORK/data/cities.geojson"
kill -HUP "$SERVER_PID"
for i in $(seq 1 50); do
    http GET '/collections/towns/items?limit=100' -H "If-None-Match: $etag"
    [ "$STATUS" = 200 ] && break
    sleep 0.1
done
check "after a data change the old ETag gets 200 and a new tag" test "$STATUS,$([ "$(header ETag)" != "$etag" ] && echo new)" = "200,new"

# A hostile Host header never reaches links; a loop of random queries
# never gets a 5xx and never stops the server.
http GET / -H 'Host: evil"><script>'
check "hostile Host is not echoed into links" bash -c "! grep -q evil '$WORK/body' && grep -q 'http://localhost/' '$WORK/body'"
check "random queries: no 5xx, bounded (400 requests)" $PY - "$U" <<'PYEOF'
import random, sys, urllib.error, urllib.parse, urllib.request
base, rnd = sys.argv[1], random.Random(7)
keys = ["bbox", "bbox-crs", "crs", "limit", "offset", "properties", "f", "name", "country",
        "population", "datetime", "x", "", "bbox[]"]
vals = ["", "1,2,3,4", "-180,-90,180,90", "nan,1,2,3", "1e308,1,1,1", "16,46,17,47,1,2",
        "0", "-1", "99999999999999999999", "abc", "EPSG:3857", "html", "json", "%00", "Ptuj",
        "SI", "name,country", ",,,", "\u00d6", "9" * 300]
bad = 0
for i in range(400):
    q = "&".join(f"{rnd.choice(keys)}={urllib.parse.quote(rnd.choice(vals))}" for _ in range(rnd.randint(0, 4)))
    coll = rnd.choice(["towns", "regions", "rivers", "nope", "..", "towns%2F.."])
    url = f"{base}/collections/{coll}/items?{q}"
    try:
        code = urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        code = e.code
    if code >= 500:
        bad += 1
        print("5xx for", url)
sys.exit(1 if bad else 0)
PYEOF
http GET /health
check "server alive after the random queries" test "$STATUS" = 200
stop_server

# Options: base URL for links, CORS origin, Cache-Control.
start_server --project "$WORK/data/coopmap.json" --base-url https://maps.example.org/coopmap/ \
    --cors-origin https://www.ptuj.si --cache-control "public, max-age=3600"
U=${BASE%/}
http GET /collections/towns
check "--base-url shapes the links" test "$(json "d['links'][0]['href']")" = https://maps.example.org/coopmap/collections/towns
check "--cors-origin" test "$(header Access-Control-Allow-Origin)" = https://www.ptuj.si
check "--cache-control" test "$(header Cache-Control)" = "public, max-age=3600"
stop_server
finish
