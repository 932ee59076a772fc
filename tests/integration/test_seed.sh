#!/usr/bin/env bash
# `coopmap seed` and tile sets served from archives, checked by tools
# nobody here wrote: the MBTiles opens with gdalinfo and sqlite3 (and
# Python's sqlite3 reads every tile), the PMTiles with the reference
# JavaScript reader (npm pmtiles); every archived tile equals the tile the
# server renders. A seed killed with SIGKILL and run again ends with the
# same archive as one never interrupted; bad arguments exit 2; archives
# listed in a project are served with ETags, 304s and Cache-Control.
# Exits 77 (skipped) without gdalinfo, sqlite3 or node, except in CI.
. "$(dirname "$0")/lib.sh"

for tool in gdalinfo sqlite3 node script; do need $tool command -v $tool; done
NODE_DIR="$COOPMAP_ROOT/tests/node"
need "npm pmtiles in tests/node (tools/test installs it)" test -d "$NODE_DIR/node_modules/pmtiles"

SEED=("$COOPMAP_BIN" seed)
SEEDS_FAILED=0
# seed_ok OUTPUT ARGS...: a seed that must succeed (exit 0, so no sanitizer
# report either), stdout and stderr in OUTPUT.
seed_ok() {
    local out=$1 status=0
    shift
    "${SEED[@]}" "$@" >"$out" 2>&1 || status=$?
    if [ $status -ne 0 ]; then
        SEEDS_FAILED=$((SEEDS_FAILED + 1))
        echo "# seed $* exited $status:"
        head -20 "$out"
    fi
}
# Slovenia and its coast to the Mura: land and sea (identical sea tiles).
AREA=(--zoom 7-10 --bbox 13.0,44.5,16.7,47.3)
# A bigger seed to kill half-way (the data's whole extent, 5,745 tiles):
# its first transaction (512 tiles) lands long before the end.
BIG=(--zoom 7-11)

# --- seeding --------------------------------------------------------------------

status=0
"${SEED[@]}" "${AREA[@]}" --out "$WORK/a.mbtiles" >"$WORK/mb.out" 2>"$WORK/mb.err" || status=$?
check "seed into MBTiles exits 0 (got $status)" test $status -eq 0
check "the report names tiles, bytes and duplicates" \
    grep -qE '^seeded .*a\.mbtiles \(MBTiles\): [0-9]+ tiles.*' "$WORK/mb.out"
check "the report has MB and duplicates" grep -qE 'MB of tiles, [0-9]+ duplicates' "$WORK/mb.out"
check "plain progress lines without a terminal" grep -qE '^seed: [0-9]+/[0-9]+ tiles \(100\.0%\)' "$WORK/mb.err"
seed_ok "$WORK/seed.out" "${AREA[@]}" --out "$WORK/a.pmtiles"
check "seed into PMTiles exits 0, its staging file gone" test -s "$WORK/a.pmtiles" -a ! -e "$WORK/a.pmtiles.part"
seed_ok "$WORK/seed.out" "${AREA[@]}" --out "$WORK/tree"
check "seed into a directory exits 0" test -s "$WORK/tree/metadata.json" -a ! -e "$WORK/tree/.tmp"

# --- MBTiles: gdalinfo, sqlite3 -----------------------------------------------------

gdalinfo "$WORK/a.mbtiles" >"$WORK/gdalinfo" 2>&1
check "gdalinfo opens the MBTiles with GDAL's MBTiles driver" grep -q '^Driver: MBTiles/MBTiles' "$WORK/gdalinfo"
check "gdalinfo sees its zoom levels as overviews" grep -q 'Overviews:' "$WORK/gdalinfo"
meta() { sqlite3 "$WORK/a.mbtiles" "SELECT value FROM metadata WHERE name = '$1'"; }
check "sqlite3: metadata format png" test "$(meta format)" = png
check "sqlite3: minzoom 7, maxzoom 10" test "$(meta minzoom)-$(meta maxzoom)" = 7-10
check "sqlite3: bounds as given" test "$(meta bounds)" = "13.0000000,44.5000000,16.7000000,47.3000000"
NTILES=$(sqlite3 "$WORK/a.mbtiles" "SELECT count(*) FROM tiles")
NIMAGES=$(sqlite3 "$WORK/a.mbtiles" "SELECT count(*) FROM images")
check "sqlite3: $NTILES tiles, $NIMAGES stored images (identical tiles stored once)" \
    test "$NTILES" -gt 50 -a "$NIMAGES" -lt "$NTILES"
check "sqlite3: integrity_check ok" test "$(sqlite3 "$WORK/a.mbtiles" 'PRAGMA integrity_check')" = ok

start_server --quiet
# Every tile of the MBTiles (TMS rows) equals the server's own (XYZ).
status=0
$PY - "$WORK/a.mbtiles" "${BASE%/}" "$WORK/list" <<'EOF' >"$WORK/mbcmp" 2>&1 || status=$?
import sqlite3, sys, urllib.request
db, base, listfile = sys.argv[1:4]
rows = sqlite3.connect(db).execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
bad = 0
with open(listfile, "w") as out:
    for z, x, row, data in rows:
        y = (1 << z) - 1 - row
        out.write(f"{z} {x} {y}\n")
        served = urllib.request.urlopen(f"{base}/tiles/default/{z}/{x}/{y}.png").read()
        if served != data:
            bad += 1
            print(f"tile {z}/{x}/{y} differs")
print(f"{len(rows)} tiles compared, {bad} differ")
sys.exit(1 if bad or not rows else 0)
EOF
check "every MBTiles tile equals the server's ($(tail -1 "$WORK/mbcmp"))" test $status -eq 0

# --- PMTiles: the reference reader ------------------------------------------------

status=0
node "$NODE_DIR/read-pmtiles.mjs" "$WORK/a.pmtiles" "$WORK/list" "${BASE%/}" default >"$WORK/pmcmp" 2>&1 ||
    status=$?
check "npm pmtiles reads every tile, equal to the server's: $(cat "$WORK/pmcmp")" test $status -eq 0

# --- the directory tree ---------------------------------------------------------------

status=0
$PY - "$WORK/tree" "${BASE%/}" "$WORK/list" <<'EOF' >"$WORK/treecmp" 2>&1 || status=$?
import sys, urllib.request
tree, base, listfile = sys.argv[1:4]
tiles = [l.split() for l in open(listfile) if l.strip()]
bad = [t for t in tiles if open(f"{tree}/{t[0]}/{t[1]}/{t[2]}.png", "rb").read()
       != urllib.request.urlopen(f"{base}/tiles/default/{t[0]}/{t[1]}/{t[2]}.png").read()]
print(f"{len(tiles)} compared, {len(bad)} differ")
sys.exit(1 if bad else 0)
EOF
check "every {z}/{x}/{y}.png equals the server's ($(cat "$WORK/treecmp"))" test $status -eq 0
check "the tree holds exactly the same tiles" \
    test "$(find "$WORK/tree" -name '*.png' | wc -l)" -eq "$(wc -l <"$WORK/list")"
stop_server

# --- killed and resumed ----------------------------------------------------------------

# kill_midway OUT DB [SIGNAL]: starts the big seed, sends SIGNAL (KILL) once
# its SQLite file DB has a committed transaction; KILLED_AT: the tiles
# stored, KILL_STATUS: the seed's exit status.
kill_midway() {
    "${SEED[@]}" "${BIG[@]}" --out "$1" >"$WORK/kill.out" 2>"$WORK/kill.err" &
    local pid=$! n=0
    for _ in $(seq 1 600); do
        # -readonly: never create the file the seed is about to create
        n=$(sqlite3 -readonly "$2" "SELECT count(*) FROM map" 2>/dev/null || echo 0)
        [ "${n:-0}" -gt 0 ] && break
        sleep 0.05
    done
    kill -"${3:-KILL}" $pid 2>/dev/null
    KILL_STATUS=0
    wait $pid 2>/dev/null || KILL_STATUS=$?
    KILLED_AT=$(sqlite3 "$2" "SELECT count(*) FROM map")
}
seed_ok "$WORK/whole.out" "${BIG[@]}" --out "$WORK/whole.pmtiles"
TOTAL=$(grep -oE '[0-9]+ tiles,' "$WORK/whole.out" | head -1 | grep -oE '[0-9]+')
kill_midway "$WORK/cut.pmtiles" "$WORK/cut.pmtiles.part"
check "PMTiles seed killed mid-way ($KILLED_AT of $TOTAL tiles stored, no archive yet)" \
    test "$KILLED_AT" -gt 0 -a "$KILLED_AT" -lt "$TOTAL" -a ! -e "$WORK/cut.pmtiles"
seed_ok "$WORK/cut.out" "${BIG[@]}" --out "$WORK/cut.pmtiles"
check "the same command continues: $KILLED_AT tiles there already" \
    grep -q "$KILLED_AT there already" "$WORK/cut.out"
check "the resumed PMTiles is byte-identical to the uninterrupted one" cmp -s "$WORK/whole.pmtiles" "$WORK/cut.pmtiles"
before=$(stat -c '%i %Y' "$WORK/cut.pmtiles")
seed_ok "$WORK/again.out" "${BIG[@]}" --out "$WORK/cut.pmtiles"
check "once more: a finished archive, nothing rendered ($(head -1 "$WORK/again.out" | cut -d: -f2))" \
    grep -q "0 rendered now.*$TOTAL there already" "$WORK/again.out"
check "once more: the archive untouched (same inode and time)" \
    test "$(stat -c '%i %Y' "$WORK/cut.pmtiles")" = "$before"

seed_ok "$WORK/seed.out" "${BIG[@]}" --out "$WORK/whole.mbtiles"
kill_midway "$WORK/cut.mbtiles" "$WORK/cut.mbtiles"
check "MBTiles seed killed mid-way ($KILLED_AT of $TOTAL tiles)" test "$KILLED_AT" -lt "$TOTAL"
check "the killed MBTiles is not corrupt" test "$(sqlite3 "$WORK/cut.mbtiles" 'PRAGMA integrity_check')" = ok
seed_ok "$WORK/seed.out" "${BIG[@]}" --out "$WORK/cut.mbtiles"
# Ctrl-C: stops at once, keeps every tile stored, says how to go on.
kill_midway "$WORK/int.mbtiles" "$WORK/int.mbtiles" INT
check "SIGINT: exit 130 (got $KILL_STATUS)" test "$KILL_STATUS" -eq 130
check "SIGINT: says the same command continues" grep -q "the same command continues" "$WORK/kill.err"
check "SIGINT: $KILLED_AT of $TOTAL tiles kept" test "$KILLED_AT" -ge 512 -a "$KILLED_AT" -lt "$TOTAL"
seed_ok "$WORK/seed.out" "${BIG[@]}" --out "$WORK/int.mbtiles"
dump() { sqlite3 "$1" "SELECT zoom_level, tile_column, tile_row, hex(tile_data) FROM tiles ORDER BY 1, 2, 3" | md5sum; }
check "the resumed MBTiles hold the same tiles as the uninterrupted one (after SIGKILL, SIGINT)" \
    test "$(dump "$WORK/cut.mbtiles")" = "$(dump "$WORK/whole.mbtiles")" -a \
    "$(dump "$WORK/int.mbtiles")" = "$(dump "$WORK/whole.mbtiles")"

# A directory tree (slower to write: a file per tile), on a smaller seed:
# killed with SIGKILL after its first tiles, then resumed.
TREE=(--zoom 7-11 --bbox 13.0,44.5,16.7,47.3)
seed_ok "$WORK/tree.out" "${TREE[@]}" --out "$WORK/whole-tree"
TREE_TOTAL=$(grep -oE '[0-9]+ tiles,' "$WORK/tree.out" | head -1 | grep -oE '[0-9]+')
"${SEED[@]}" "${TREE[@]}" --out "$WORK/cut-tree" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ "$(find "$WORK/cut-tree" -name '*.png' 2>/dev/null | wc -l)" -gt 100 ] && break
    sleep 0.02
done
kill -KILL $pid; wait $pid 2>/dev/null || true
n=$(find "$WORK/cut-tree" -name '*.png' | wc -l)
check "directory seed killed mid-way ($n of $TREE_TOTAL tiles)" test "$n" -lt "$TREE_TOTAL"
seed_ok "$WORK/seed.out" "${TREE[@]}" --out "$WORK/cut-tree"
check "the resumed tree equals the uninterrupted one, no temporary files left" \
    diff -r "$WORK/whole-tree" "$WORK/cut-tree"

# --- progress on a terminal --------------------------------------------------------------

script -qec "$COOPMAP_BIN seed --zoom 7-8 --bbox 15.4,46.2,16.7,47.3 --out $WORK/tty.mbtiles" /dev/null \
    >"$WORK/tty.out" 2>&1
check "a progress bar on a terminal (done/total, tiles/s, ETA)" \
    grep -qE $'\r\\[#+\\.*\\] [0-9]+/[0-9]+ +[0-9.]+% [0-9]+ tiles/s ETA [0-9:?]+' "$WORK/tty.out"

# --- bad arguments: exit 2 and one clear line --------------------------------------------

bad_args() { # bad_args "what" "expected message (ERE)" args...
    local what=$1 want=$2 status=0
    shift 2
    "$COOPMAP_BIN" seed "$@" >"$WORK/bad.out" 2>"$WORK/bad.err" || status=$?
    check "$what: exit 2 (got $status)" test $status -eq 2
    check "$what: says '$want'" grep -qE -- "$want" "$WORK/bad.err"
}
printf 'not an archive\n' >"$WORK/foreign.mbtiles"
bad_args "zoom range reversed" "runs backwards" --zoom 13-7 --out "$WORK/x.mbtiles"
bad_args "zoom not a number" "wants MIN-MAX" --zoom seven --out "$WORK/x.mbtiles"
bad_args "zoom beyond the limit" "beyond zoom" --zoom 7-30 --out "$WORK/x.mbtiles"
bad_args "bbox outside the world" "not west,south,east,north" --zoom 7 --bbox 200,0,210,10 --out "$WORK/x.mbtiles"
bad_args "bbox beyond Web Mercator" "outside the Web Mercator world" --zoom 7 --bbox 0,86,10,89 --out "$WORK/x.mbtiles"
bad_args "bbox not four numbers" "four numbers" --zoom 7 --bbox 1,2,3 --out "$WORK/x.mbtiles"
bad_args "unwritable path" "cannot write" --zoom 7 --out /proc/coopmap/x.mbtiles
bad_args "path under a file" "cannot write" --zoom 7 --out /etc/hostname/x.pmtiles
bad_args "unknown format" "use mbtiles, pmtiles or dir" --zoom 7 --format tar --out "$WORK/x"
bad_args "no --out" "--out FILE is needed" --zoom 7
bad_args "no --zoom" "--zoom MIN-MAX is needed" --out "$WORK/x.mbtiles"
bad_args "unknown style" "no style 'nope'" --zoom 7 --style nope --out "$WORK/x.mbtiles"
bad_args "scale 3" "--scale wants" --zoom 7 --scale 3 --out "$WORK/x.mbtiles"
bad_args "a file that is not a seed" "not overwritten" --zoom 7 --out "$WORK/foreign.mbtiles"
check "the foreign file is left as it was" test "$(cat "$WORK/foreign.mbtiles")" = "not an archive"
bad_args "an archive of another seed" "holds another seed" --zoom 7-9 --bbox 13.0,44.5,16.7,47.3 \
    --out "$WORK/a.mbtiles"
bad_args "a PMTiles of another seed" "holds another seed" --zoom 7 --out "$WORK/a.pmtiles"
check "nothing is created by refused seeds" test ! -e "$WORK/x.mbtiles" -a ! -e "$WORK/x"

# --- serving from archives -----------------------------------------------------------

cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
$PY - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
p = json.load(open(f"{w}/data/coopmap.json"))
p["tiles"] = [{"id": "mb", "source": f"{w}/a.mbtiles"},
              {"id": "pm", "title": "Seeded PMTiles", "source": f"{w}/a.pmtiles"},
              {"id": "tree", "source": "../tree"}]  # relative to the project file
json.dump(p, open(f"{w}/data/coopmap.json", "w"))
EOF
start_server --quiet --project "$WORK/data/coopmap.json"
http GET /tiles
check "/tiles lists the three tile sets" test "$(json "[t['id'] for t in d['archives']]")" = "['mb', 'pm', 'tree']"
http GET /tiles/pm.json
check "TileJSON of a tile set: zooms, bounds, title" \
    test "$(json "(d['minzoom'], d['maxzoom'], d['bounds'], d['name'], d['tiles'][0].endswith('/tiles/pm/{z}/{x}/{y}.png'))")" \
    = "(7, 10, [13.0, 44.5, 16.7, 47.3], 'Seeded PMTiles', True)"
status=0
$PY - "${BASE%/}" "$WORK/list" <<'EOF' >"$WORK/setcmp" 2>&1 || status=$?
import sys, urllib.request
base, listfile = sys.argv[1:3]
tiles = [l.split() for l in open(listfile) if l.strip()]
bad = 0
for z, x, y in tiles:
    with urllib.request.urlopen(f"{base}/tiles/default/{z}/{x}/{y}.png") as r:
        rendered, etag = r.read(), r.headers["ETag"]
    for s in ("mb", "pm", "tree"):
        with urllib.request.urlopen(f"{base}/tiles/{s}/{z}/{x}/{y}.png") as r:
            if r.status != 200 or r.read() != rendered or r.headers["ETag"] != etag:
                bad += 1
                print(f"{s} {z}/{x}/{y} differs")
print(f"{len(tiles)} tiles x 3 sets, {bad} differ")
sys.exit(1 if bad or not tiles else 0)
EOF
check "tiles served from MBTiles, PMTiles and the tree: same bytes and ETags as rendered ($(tail -1 "$WORK/setcmp"))" \
    test $status -eq 0
read -r z x y <"$WORK/list"
http GET "/tiles/pm/$z/$x/$y.png"
etag=$(header ETag)
check "an archived tile has Content-Type image/png" test "$(header Content-Type)" = image/png
check "an archived tile has Cache-Control" test "$(header Cache-Control)" = "public, max-age=60"
http GET "/tiles/pm/$z/$x/$y.png" -H "If-None-Match: $etag"
check "If-None-Match on an archived tile: 304" test "$STATUS" = 304
http GET /tiles/mb/5/17/11.png
check "a zoom the archive lacks: 404 JSON" test "$STATUS:$(json "d['code']")" = 404:NotFound
http GET "/tiles/tree/10/0/0.png"
check "a tile outside the seeded area: 404" test "$STATUS" = 404
http GET "/tiles/pm/$z/$x/${y}@2x.png"
check "@2x of a tile set: 404 naming the one size" test "$STATUS" = 404
http GET "/tiles/pm/$z/$x/../$y.png" --path-as-is
check "path games on a tile set: 4xx" test "${STATUS:0:1}" = 4
stop_server

# A project whose archive is missing does not start, naming it.
$PY - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
p = json.load(open(f"{w}/data/coopmap.json"))
p["tiles"] = [{"id": "gone", "source": f"{w}/gone.pmtiles"}]
json.dump(p, open(f"{w}/data/coopmap.json", "w"))
EOF
status=0
"$COOPMAP_BIN" serve --project "$WORK/data/coopmap.json" --listen 127.0.0.1:0 >/dev/null 2>"$WORK/gone.err" || status=$?
check "a missing archive: exit 1 naming the tile set" test $status -eq 1
check "the message names the tile set and the file" grep -q "tile set 'gone'.*gone.pmtiles" "$WORK/gone.err"

check "every seed that should succeed exited 0 ($SEEDS_FAILED did not)" test $SEEDS_FAILED -eq 0
finish
