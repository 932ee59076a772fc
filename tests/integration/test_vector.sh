#!/usr/bin/env bash
# Vector tiles (/tiles/vector/{z}/{x}/{y}.mvt) and the styles for the
# browser (/styles/{id}.json) checked by tools nobody here wrote: both
# styles pass the MapLibre style specification's validator; every tile of
# the towns' area at z5-z14 decodes with @mapbox/vector-tile (npm, pinned)
# and matches the OGC API GeoJSON within half a tile pixel both ways, no
# feature missing; GDAL's MVT driver (ogrinfo) reads the tiles, GEOS finds
# their polygons valid and no slivers between neighbouring regions; the
# HTTP side: TileJSON with vector_layers, gzip, ETag/304, Cache-Control,
# CORS, 204 for empty tiles, JSON errors for bad addresses, the tile cache.
# Exits 77 (skipped) without node or ogrinfo, except in CI.
. "$(dirname "$0")/lib.sh"

for tool in node ogrinfo; do need $tool command -v $tool; done
NODE_DIR="$COOPMAP_ROOT/tests/node"
need "npm @mapbox/vector-tile in tests/node (tools/test installs it)" \
    test -d "$NODE_DIR/node_modules/@mapbox/vector-tile"

start_server --quiet

# --- TileJSON -------------------------------------------------------------------

http GET /tiles/vector.json
check "TileJSON 3.0 of the vector tiles" test "$(json "d['tilejson'], d['tiles'][0].endswith('/tiles/vector/{z}/{x}/{y}.mvt')")" = "3.0.0 True"
http GET /collections
collections=$(json "sorted(c['id'] for c in d['collections'])")
http GET /tiles/vector.json
check "vector_layers: one per collection ($collections)" test "$(json "sorted(l['id'] for l in d['vector_layers'])")" = "$collections"
check "vector_layers: typed fields (towns.population Number, name String)" \
    test "$(json "[l['fields'] for l in d['vector_layers'] if l['id'] == 'towns'][0]['population'], [l['fields'] for l in d['vector_layers'] if l['id'] == 'towns'][0]['name']")" = "Number String"
http GET /tiles/default.json
check "the raster TileJSON says tileSize 256" test "$(json "d['tileSize']")" = 256

# --- styles for the browser ------------------------------------------------------------

http GET /styles
check "/styles lists the styles with MapLibre stylesheet links" \
    test "$(json "[(s['id'], s['links'][0]['type']) for s in d['styles']]")" = "[('default', 'application/vnd.mapbox.style+json'), ('light', 'application/vnd.mapbox.style+json')]"
for style in default light; do
    status=0
    node "$NODE_DIR/validate-style.mjs" "${BASE%/}/styles/$style.json" >"$WORK/style" 2>&1 || status=$?
    check "$style: @maplibre/maplibre-gl-style-spec finds no error: $(tr '\n' ' ' <"$WORK/style")" test $status -eq 0
done
http GET /styles/default
check "/styles/default (no .json) is the same document" test "$STATUS $(json "d['version'], d['sources']['coopmap']['type']")" = "200 8 vector"
http GET /styles/nope.json
check "an unknown style: 404 JSON" test "$STATUS:$(json "d['code']")" = 404:NotFound

# Glyph ranges for the styles' labels, decoded with pbf.
status=0
node "$NODE_DIR/check-glyphs.mjs" "${BASE%/}" "DejaVu Sans;DejaVu Sans Bold" \
    "Ormož Őriszentpéter Szentgotthárd Fürstenfeld Zalalövő Murska Sobota" >"$WORK/glyphs" 2>&1 || status=$?
check "glyphs: $(cat "$WORK/glyphs")" test $status -eq 0
http GET "/fonts/DejaVu%20Sans/0-255.pbf"
check "a glyph range: 200 application/x-protobuf with an ETag" \
    test "$STATUS $(header Content-Type)" = "200 application/x-protobuf" -a -n "$(header ETag)"
http GET "/fonts/Nowhere%20Sans,DejaVu%20Sans/0-255.pbf"
check "an unknown font falls back to the next of the stack" test "$STATUS" = 200
for bad in "/fonts/DejaVu%20Sans/0-256.pbf" "/fonts/DejaVu%20Sans/100-355.pbf" "/fonts/DejaVu%20Sans/65536-65791.pbf" \
    "/fonts/DejaVu%20Sans/0-255.png" "/fonts/%ff%fe/0-255.pbf"; do
    http GET "$bad"
    check "$bad: 400 JSON" test "$STATUS:$(json "d['code']" 2>/dev/null)" = "400:InvalidParameterValue"
done

# --- every tile, decoded -----------------------------------------------------------

mkdir -p "$WORK/mvt"
status=0
node "$NODE_DIR/check-mvt.mjs" "${BASE%/}" 15.5,46.2,16.9,47.4 5-12 "$WORK/mvt" >"$WORK/check1" 2>&1 || status=$?
check "z5-z12 of the towns' area: $(cat "$WORK/check1")" test $status -eq 0
# Under the sanitizers (ten times slower) z13-z14 of a central box will do.
area=15.5,46.2,16.9,47.4 what="the towns' area"
[ "${COOPMAP_SANITIZED:-0}" = 1 ] && area=15.9,46.4,16.3,46.7 what="a central box"
status=0
node "$NODE_DIR/check-mvt.mjs" "${BASE%/}" $area 13-14 "$WORK/mvt" >"$WORK/check2" 2>&1 || status=$?
check "z13-z14 of $what: $(cat "$WORK/check2")" test $status -eq 0

# GDAL's MVT driver reads the tiles; GEOS (SpatiaLite's ST_IsValid) checks
# the clipped polygons of 40 of them, spread over the zooms.
ntiles=$(ls "$WORK/mvt" | wc -l)
ls "$WORK/mvt" | sort -t- -k1,1n | awk -v step=$((ntiles / 40 + 1)) 'NR % step == 1' >"$WORK/sample"
bad=0 polys=0
while read -r f; do
    for layer in regions countries; do
        out=$(ogrinfo -ro -q -dialect SQLite \
            -sql "SELECT count(*) AS n, count(*) - sum(ST_IsValid(geometry)) AS invalid FROM $layer" \
            "$WORK/mvt/$f" 2>&1 || true)
        n=$(echo "$out" | awk '/ n \(Integer\)/ {print $4}')
        invalid=$(echo "$out" | awk '/invalid \(Integer\)/ {print $4}')
        polys=$((polys + ${n:-0}))
        if [ "${invalid:-x}" != 0 ] && [ "${n:-0}" != 0 ]; then
            bad=$((bad + 1))
            echo "# $f $layer: $out" | head -3
        fi
    done
done <"$WORK/sample"
check "ogrinfo opens the tiles; $polys clipped polygons in $(wc -l <"$WORK/sample") tiles, $bad tiles with invalid ones" \
    test $bad -eq 0 -a $polys -gt 100
# No slivers between neighbouring regions (simplification keeps shared
# boundaries shared), measured by GEOS in the 6 largest tiles of each zoom
# (most boundaries) from z5 to z14 for each NUTS
# level: the regions overlap nowhere (the sum of their areas is the area of
# their union, to 0.01 unit²), and their union has no hole the source's
# union lacks in the same lon/lat box (a gap between two neighbours).
(cd "$WORK/mvt" && ls -S) | awk -F- '++n[$1] <= 6' | python3 -c '
import math, sys
for f in sys.stdin.read().split():
    z, x, y = (int(v) for v in f[:-4].split("-"))
    lat = lambda t: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / 2 ** z))))
    print(f, x / 2 ** z * 360 - 180, lat(y + 1), (x + 1) / 2 ** z * 360 - 180, lat(y))
' >"$WORK/slivers"
# One SQL per file: for each level, the count, the overlap and the union's
# holes (over the parts of a multipolygon).
slivers_sql() { # slivers_sql GEOMETRY TABLE
    echo "WITH u AS (SELECT level, count(*) AS cnt, sum(ST_Area(geometry)) - ST_Area(ST_Union(geometry)) AS overlap, ST_Union($1) AS g FROM $2 GROUP BY level), n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT level, cnt, overlap, coalesce(sum(ST_NumInteriorRing(ST_GeometryN(g, i))), 0) AS holes FROM u, n WHERE i <= ST_NumGeometries(g) GROUP BY level"
}
rows() { awk '/level \(Integer\)/ {l=$4} /cnt \(/ {c=$4} /overlap \(/ {o=$4} /holes \(/ {print l, c, o, $4}'; }
ogr2ogr -f GeoJSON "$WORK/union.geojson" "$COOPMAP_ROOT/geodata/regions.geojson" -dialect SQLite \
    -sql "SELECT level, ST_Union(geometry) AS geometry FROM regions GROUP BY level" -nln regions
overlapping=0 gaps=0 pairs=0
while read -r f w s e n; do
    ogrinfo -ro -q -dialect SQLite -sql "$(slivers_sql geometry regions)" "$WORK/mvt/$f" 2>&1 | rows >"$WORK/tile.rows"
    : >"$WORK/src.rows"
    if awk '$4 > 0 {found=1} END {exit !found}' "$WORK/tile.rows"; then # holes: the source's?
        ogrinfo -ro -q -dialect SQLite -sql "$(slivers_sql "ST_Intersection(geometry, BuildMbr($w, $s, $e, $n, 4326))" regions)" \
            "$WORK/union.geojson" 2>&1 | rows >"$WORK/src.rows"
    fi
    while read -r level cnt overlap holes; do
        [ "$cnt" -ge 2 ] || continue
        pairs=$((pairs + 1))
        if ! awk -v o="$overlap" 'BEGIN {exit !(o ~ /^-?[0-9.e+-]+$/ && o < 0.01)}'; then
            overlapping=$((overlapping + 1))
            echo "# $f level $level: overlap $overlap unit²"
        fi
        src=$(awk -v l="$level" '$1 == l {print $4}' "$WORK/src.rows")
        if [ "$holes" -gt "${src:-0}" ]; then
            gaps=$((gaps + 1))
            echo "# $f level $level: $holes holes in the tile, ${src:-0} in the source"
        fi
    done <"$WORK/tile.rows"
done <"$WORK/slivers"
check "no slivers: $pairs tile/level pairs of 2+ neighbouring regions, $overlapping overlapping, $gaps with gaps" \
    test $overlapping -eq 0 -a $gaps -eq 0 -a $pairs -gt 60
ogrinfo -ro -so "$WORK/mvt/$(head -1 "$WORK/sample")" >"$WORK/ogrinfo" 2>&1 || true
check "ogrinfo lists coopmap's layers in a tile" grep -qE "regions \((Multi )?Polygon\)" "$WORK/ogrinfo"
# What QGIS's vector tile layer does underneath: GDAL's MVT driver over the URL.
ogrinfo -ro -al -so "MVT:${BASE%/}/tiles/vector/10/557/361.mvt" >"$WORK/ogrurl" 2>&1 || true
check "GDAL's MVT driver reads a tile over HTTP: 6 layers, towns with features" \
    test "$(grep -c '^Layer name:' "$WORK/ogrurl")" = 6 -a \
    "$(awk '/^Layer name: towns/ {t=1} t && /^Feature Count:/ {print $3; exit}' "$WORK/ogrurl")" -gt 0

# --- OGC API - Tiles -----------------------------------------------------------------

status=0
node "$NODE_DIR/check-ogc-tiles.mjs" "${BASE%/}" >"$WORK/ogc" 2>&1 || status=$?
check "OGC API - Tiles, followed link by link: $(cat "$WORK/ogc")" test $status -eq 0
# GDAL reads the tile matrix set: a COG written on it as the tiling scheme.
http GET /tileMatrixSets/WebMercatorQuad
cp "$WORK/body" "$WORK/tms.json"
http GET "/map.png?bbox=15.5,46.3,16.9,47.5&width=200&height=150"
cp "$WORK/body" "$WORK/m.png"
gdal_translate -q -a_srs EPSG:4326 -a_ullr 15.5 47.5 16.9 46.3 "$WORK/m.png" "$WORK/m.tif" >/dev/null 2>&1 || true
gdal_translate -q -of COG -co TILING_SCHEME="$WORK/tms.json" "$WORK/m.tif" "$WORK/m-cog.tif" >"$WORK/cog.log" 2>&1 || true
check "GDAL takes coopmap's WebMercatorQuad as a tiling scheme (a COG on it: $(gdalinfo "$WORK/m-cog.tif" 2>/dev/null | grep -m1 'Size is' || cat "$WORK/cog.log"))" \
    test -s "$WORK/m-cog.tif"
http GET /tileMatrixSets/WorldCRS84Quad
cp "$WORK/body" "$WORK/tms84.json"
gdal_translate -q -of COG -co TILING_SCHEME="$WORK/tms84.json" "$WORK/m.tif" "$WORK/m-cog84.tif" >"$WORK/cog84.log" 2>&1 || true
check "and WorldCRS84Quad (its z7 grid: $(gdalinfo "$WORK/m-cog84.tif" 2>/dev/null | grep -m1 'Pixel Size' || cat "$WORK/cog84.log"))" \
    test "$(gdalinfo "$WORK/m-cog84.tif" 2>/dev/null | grep -m1 'Pixel Size')" = "Pixel Size = (0.005493164062500,-0.005493164062500)"
for bad in /collections/towns/tiles/GoogleCRS84Quad /map/tiles/WorldCRS84Quad /tileMatrixSets/EuropeanETRS89_LAEAQuad \
    /collections/towns/tiles/WorldCRS84Quad/0/1/0 /collections/towns/tiles/WorldCRS84Quad/0/0/2; do
    http GET "$bad"
    check "$bad: 404 JSON" test "$STATUS:$(json "d['code']")" = 404:NotFound
done
http GET /collections/towns/tiles/WorldCRS84Quad/0/0/1
check "WorldCRS84Quad z0 has two columns: 0/0/1 is the eastern half, with the towns" test "$STATUS" = 200
http GET /collections/nope/tiles
check "tiles of an unknown collection: 404 JSON" test "$STATUS:$(json "d['code']")" = 404:NotFound
http GET /collections/towns/tiles/WebMercatorQuad/10/x/557
check "a malformed collection tile: 400 JSON" test "$STATUS:$(json "d['code']")" = 400:InvalidParameterValue
http GET /collections/towns/tiles/WebMercatorQuad/30/0/0
check "a collection tile beyond the zooms: 404 JSON" test "$STATUS:$(json "d['code']")" = 404:NotFound

# --- HTTP ---------------------------------------------------------------------

T=/tiles/vector/10/557/361.mvt
http GET "$T"
check "a vector tile: 200 application/vnd.mapbox-vector-tile" test "$STATUS $(header Content-Type)" = "200 application/vnd.mapbox-vector-tile"
cp "$WORK/body" "$WORK/plain.mvt"
etag=$(header ETag)
check "it has Cache-Control and CORS" test -n "$(header Cache-Control)" -a "$(header Access-Control-Allow-Origin)" = "*"
http GET "$T" -H "Accept-Encoding: gzip"
check "gzip when accepted, with its own ETag" test "$(header Content-Encoding) $(header ETag)" = "gzip ${etag%\"}-gz\""
check "the gzip body is the same tile" cmp -s <(gzip -dc "$WORK/body") "$WORK/plain.mvt"
http GET "$T" -H "If-None-Match: $etag"
check "If-None-Match: 304" test "$STATUS" = 304
hits() { curl -s "${BASE%/}/metrics" | awk '$1 == "coopmap_tile_cache_hits_total{cache=\"tiles\"}" {print $2}'; }
h0=$(hits)
http GET "$T"
check "a repeated vector tile comes from the tile cache" test "$(hits)" -gt "$h0"
http GET /tiles/vector/12/0/0.mvt
check "a tile with nothing in it: 204 with Cache-Control" test "$STATUS" = 204 -a -n "$(header Cache-Control)"
for bad in /tiles/vector/5/1/x.mvt /tiles/vector/5/1/1.png /tiles/vector/5/1/1.mvt.gz "/tiles/vector/5/-1/1.mvt"; do
    http GET "$bad"
    check "$bad: 400 JSON" test "$STATUS:$(json "d['code']" 2>/dev/null)" = "400:InvalidParameterValue"
done
for missing in /tiles/vector/30/0/0.mvt /tiles/vector/5/99/0.mvt; do
    http GET "$missing"
    check "$missing: 404 JSON" test "$STATUS:$(json "d['code']" 2>/dev/null)" = "404:NotFound"
done

stop_server
finish
