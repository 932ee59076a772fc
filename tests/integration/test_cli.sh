#!/usr/bin/env bash
# The command line: --help, --version, info, and for every kind of bad input
# exit status 1 with one clear line naming the file, the layer and the problem.
. "$(dirname "$0")/lib.sh"
FIX=$COOPMAP_FIXTURES

check "--version names GDAL and PROJ" bash -c "'$COOPMAP_BIN' --version | grep -q 'coopmap .*GDAL .*PROJ'"
check "--help exits 0 and lists serve" bash -c "'$COOPMAP_BIN' --help | grep -q '^  serve'"
"$COOPMAP_BIN" frobnicate 2>"$WORK/err" && status=0 || status=$?
check "unknown command exits 2" test "$status" = 2
"$COOPMAP_BIN" serve --listen nonsense 2>"$WORK/err" && status=0 || status=$?
check "bad --listen exits 2" test "$status" = 2

"$COOPMAP_BIN" info >"$WORK/info" 
check "info lists towns with 24 Point features" grep -q '  features  24 Point' "$WORK/info"
check "info lists regions with their id field" grep -q '  id        code' "$WORK/info"
"$COOPMAP_BIN" info --json >"$WORK/body"
check "info --json has 6 layers (4 data, ties, network)" test "$(json "[l['id'] for l in d['layers']]")" = "['towns', 'regions', 'countries', 'rivers', 'ties', 'network']"
check "info --json towns extent is in the border area" \
    test "$(json "all(14.8 < v < 17.6 for v in d['layers'][0]['extent'][0::2])")" = True

# bad_project NAME SOURCE [layer] [id_field]: a one-layer project file.
bad_project() {
    local layer=${3:+\"layer\": \"$3\",} idf=${4:+\"id_field\": \"$4\",}
    printf '{ "layers": [ { %s %s "id": "x", "source": "%s" } ] }\n' "$layer" "$idf" "$2" \
        >"$WORK/$1.json"
}
expect_error() { # expect_error NAME PHRASE
    "$COOPMAP_BIN" info --project "$WORK/$1.json" >/dev/null 2>"$WORK/err" && status=0 || status=$?
    check "$1: exit status 1 (got $status)" test "$status" = 1
    check "$1: one line on stderr" test "$(wc -l <"$WORK/err")" = 1
    check "$1: message says '$2'" grep -q -- "$2" "$WORK/err"
}

bad_project missing "$FIX/nowhere.geojson"
expect_error missing "nowhere.geojson.*missing file"
bad_project unknown_layer "$FIX/towns-sample.geojson" rivers
expect_error unknown_layer "towns-sample.geojson (layer 'rivers'.*unknown layer"
bad_project unreadable "$FIX/garbage.geojson"
expect_error unreadable "garbage.geojson.*unreadable format"
bad_project nocrs "$FIX/nocrs.vrt"
expect_error nocrs "nocrs.vrt.*no CRS"
bad_project duplicates "$FIX/dups.geojson" "" code
expect_error duplicates "dups.geojson.*duplicate feature id 'SI031'"
bad_project empty "$FIX/empty.geojson"
expect_error empty "empty.geojson.*empty layer"
echo '{ "layers": ' >"$WORK/badjson.json"
expect_error badjson "badjson.json:.*invalid JSON"

# Invalid geometry is repaired (with a warning naming it), not fatal.
bad_project bowtie "$FIX/bowtie.geojson" "" code
"$COOPMAP_BIN" info --project "$WORK/bowtie.json" >"$WORK/info" 2>"$WORK/err" && status=0 || status=$?
check "invalid polygon: loads (status $status)" test "$status" = 0
check "invalid polygon: warning names the feature" grep -q 'bowtie.geojson.*repaired invalid geometry of feature 1' "$WORK/err"

# serve refuses to start on bad data: nothing half-loaded ever serves.
"$COOPMAP_BIN" serve --listen 127.0.0.1:0 --project "$WORK/empty.json" >"$WORK/out" 2>"$WORK/err" && status=0 || status=$?
check "serve on bad data exits 1" test "$status" = 1
check "serve on bad data prints no URL" test ! -s "$WORK/out"
finish
