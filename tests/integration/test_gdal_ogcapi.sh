#!/usr/bin/env bash
# GDAL's OGCAPI driver reads coopmap's OGC API - Tiles: the vector tilesets
# of the towns and the regions as layers, a collection's map tileset as a
# raster, the landing page's collections as subdatasets (gdal_ogcapi.py,
# compared with the GeoJSON and the PNG tiles). GDAL 3.10 from Debian 13,
# in the directory tools/test makes (ensure_gdal_chroot in tools/lib.sh):
# Debian 12's GDAL 3.6 has that driver's vector tiles compiled out.
# Exits 77 (skipped) without it, except in CI.
. "$(dirname "$0")/lib.sh"

ROOT=${COOPMAP_GDAL_CHROOT:-/var/lib/coopmap/gdal-trixie}
need "$ROOT (tools/test makes it)" test -x "$ROOT/usr/bin/python3"
need "root (for chroot)" test "$(id -u)" -eq 0

start_server --quiet
# The chroot shares the network (the server is on its loopback), not /tmp.
inside=$(mktemp -d "$ROOT/tmp/coopmap.XXXXXX")
cp "$(dirname "$0")/gdal_ogcapi.py" "$inside/"
status=0
chroot "$ROOT" python3 "/tmp/$(basename "$inside")/gdal_ogcapi.py" "${BASE%/}" >"$WORK/gdal" 2>&1 || status=$?
rm -rf "$inside"
sed 's/^/# /' "$WORK/gdal"
check "GDAL's OGCAPI driver: $(grep -c '^ok' "$WORK/gdal") checks pass, $(grep -c '^not ok' "$WORK/gdal") fail" \
    test $status -eq 0 -a "$(grep -c '^ok' "$WORK/gdal")" -ge 5
stop_server
finish
