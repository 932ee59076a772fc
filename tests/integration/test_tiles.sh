#!/usr/bin/env bash
# Tiles, TileJSON and static maps from the real server: status codes, sizes,
# caching, single flight, and PNG/SVG/PDF files that real decoders open.
. "$(dirname "$0")/lib.sh"
start_server --threads 4
U=${BASE%/}

png_size() { # png_size FILE -> "WxH" from the IHDR chunk
    $PY -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); assert d[:8]==b'\x89PNG\r\n\x1a\n'; print('%dx%d' % struct.unpack('>II', d[16:24]))" "$1"
}

http GET /tiles
check "/tiles lists default and light" test "$(json "sorted(s['id'] for s in d['styles'])")" = "['default', 'light']"
http GET /tiles/default.json
check "TileJSON 3.0.0" test "$(json "d['tilejson']")" = 3.0.0
check "TileJSON tile URL is absolute" test "$(json "d['tiles'][0]")" = "$U/tiles/default/{z}/{x}/{y}.png"
check "TileJSON centre on the towns" test "$(json "15.6 < d['center'][0] < 16.8 and 46.4 < d['center'][1] < 47.5")" = True
check "TileJSON attribution" bash -c "grep -q EuroGeographics '$WORK/body'"
check "TileJSON zooms" test "$(json "(d['minzoom'], d['maxzoom'])")" = "(0, 18)"

tile=$($PY -c "import math; z=10; lon,lat=16.1,46.7; n=2**z; x=int((lon+180)/360*n); y=int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n); print(z,x,y)")
set -- $tile
Z=$1 X=$2 Y=$3
http GET "/tiles/default/$Z/$X/$Y.png"
check "tile 200 image/png" test "$STATUS,$(header Content-Type)" = "200,image/png"
check "tile is a 256x256 PNG" test "$(png_size "$WORK/body")" = 256x256
cp "$WORK/body" "$WORK/tile.png"
etag=$(header ETag)
check "tile has an ETag and Cache-Control" test -n "$etag" -a -n "$(header Cache-Control)"
http GET "/tiles/default/$Z/$X/$Y.png" -H "If-None-Match: $etag"
check "tile If-None-Match -> 304" test "$STATUS" = 304
http GET "/tiles/default/$Z/$X/$Y@2x.png"
check "@2x tile is 512x512" test "$STATUS,$(png_size "$WORK/body")" = "200,512x512"
http GET "/tiles/light/$Z/$X/$Y.png"
check "light style differs from default" bash -c "! cmp -s '$WORK/body' '$WORK/tile.png'"

# Far from the data only the background shows: two such tiles are the same bytes.
http GET /tiles/default/10/100/100.png
e1=$(header ETag)
http GET /tiles/default/10/101/100.png
check "empty tiles share one cached background tile" test "$STATUS,$(header ETag)" = "200,$e1"

# Single flight: 40 parallel requests for one new tile, one render.
before=$(curl -s "$U/health" | $PY -c 'import json,sys; print(json.load(sys.stdin)["tile_cache"]["misses"])')
seq 1 40 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
    "$U/tiles/default/11/$((X * 2))/$((Y * 2 + 1)).png" >"$WORK/codes"
after=$(curl -s "$U/health" | $PY -c 'import json,sys; print(json.load(sys.stdin)["tile_cache"]["misses"])')
check "40 parallel requests for one tile: all 200" test "$(grep -c '^200$' "$WORK/codes")" = 40
check "... and it was rendered once (misses $before -> $after)" test "$((after - before))" = 1

expect() { # expect STATUS PATH CODE
    http GET "$2"
    check "$2 -> $1 $3" test "$STATUS,$(json "d['code']")" = "$1,$3"
}
expect 404 /tiles/default/19/0/0.png NotFound
expect 404 /tiles/default/3/8/0.png NotFound
expect 404 /tiles/default/3/0/8.png NotFound
expect 400 /tiles/default/a/0/0.png InvalidParameterValue
expect 400 /tiles/default/3/0/0.jpg InvalidParameterValue
expect 400 /tiles/default/3/0/-1.png InvalidParameterValue
expect 400 /tiles/default/3/0/99999999999999.png InvalidParameterValue
expect 404 /tiles/nostyle/3/0/0.png NotFound
expect 404 /tiles/nostyle.json NotFound
expect 400 "/tiles/default/3/0/0@3x.png" InvalidParameterValue

# --- static maps -------------------------------------------------------------------
http GET '/map.png?bbox=15.5,46.3,16.9,47.5&width=800&height=600'
check "map.png 800x600" test "$STATUS,$(header Content-Type),$(png_size "$WORK/body")" = "200,image/png,800x600"
http GET '/map.png?center=16.1,46.7&zoom=10&width=400&height=300&scale=2&north=true'
check "map.png centre+zoom @2x is 800x600" test "$STATUS,$(png_size "$WORK/body")" = "200,800x600"
http GET '/map.svg?bbox=15.5,46.3,16.9,47.5&width=640&height=480&style=light'
check "map.svg is SVG 640x480" test "$STATUS,$(header Content-Type)" = "200,image/svg+xml"
check "map.svg parses as XML with the right size" $PY -c "
import xml.etree.ElementTree as ET
r = ET.parse('$WORK/body').getroot()
raise SystemExit(0 if r.tag.endswith('svg') and r.get('width').startswith('640') and r.get('height').startswith('480') else 1)"
http GET '/map.pdf?bbox=15.5,46.3,16.9,47.5&width=800&height=600'
check "map.pdf content type" test "$STATUS,$(header Content-Type)" = "200,application/pdf"
cp "$WORK/body" "$WORK/map.pdf"
pdftoppm -png -r 72 -singlefile "$WORK/map.pdf" "$WORK/page"
check "pdftoppm opens map.pdf: an 800x600 page" test "$(png_size "$WORK/page.png")" = 800x600
expect 400 '/map.png?bbox=15.5,46.3,16.9,47.5&width=5000' InvalidParameterValue
expect 400 '/map.png?bbox=16,47,15,46' InvalidParameterValue
expect 400 '/map.png?center=16,46' InvalidParameterValue
expect 404 '/map.png?bbox=15.5,46.3,16.9,47.5&style=nope' NotFound
expect 400 '/map.png?bbox=15.5,46.3,16.9,47.5&colour=red' InvalidParameterValue

stop_server

# A bad style stops the start, naming the file, the layer and the property.
mkdir "$WORK/styles"
cat >"$WORK/styles/bad.json" <<'JSON'
{"version": 8, "layers": [
  {"id": "bg", "type": "background", "paint": {"background-color": "#fff"}},
  {"id": "towns", "type": "circle", "source-layer": "towns", "paint": {"circle-color": "bluish"}}
]}
JSON
"$COOPMAP_BIN" serve --listen 127.0.0.1:0 --styles "$WORK/styles" >"$WORK/out" 2>"$WORK/err" && status=0 || status=$?
check "a bad style refuses the start (exit $status)" test "$status" = 1
check "... naming file, layer and property" grep -q "bad.json: layer 'towns': paint 'circle-color'" "$WORK/err"
check "... and no URL is printed" test ! -s "$WORK/out"
sed -i 's/"bluish"/"#08f"/; s/"source-layer": "towns"/"source-layer": "town"/' "$WORK/styles/bad.json"
"$COOPMAP_BIN" serve --listen 127.0.0.1:0 --styles "$WORK/styles" >"$WORK/out" 2>"$WORK/err" && status=0 || status=$?
check "a style naming a missing layer refuses the start" test "$status,$(grep -c "source-layer 'town'" "$WORK/err")" = "1,1"
finish
