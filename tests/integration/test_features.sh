#!/usr/bin/env bash
# OGC API - Features in depth: CQL2 filters (Part 3) in cql2-text and
# cql2-json over the default data, a table of 120-odd expressions whose
# expected ids come from cql2_reference.py (our own parser and three-valued
# evaluator, GEOS through OGR for the spatial functions, itself checked
# against OGR's SQLite dialect and SpatiaLite); some 95 malformed filters that
# must be 400s naming a position; sortby (stable, paged with next links);
# skipGeometry; every feature in one default page; queryables and schema
# (OWSLib); GDAL's OAPIF driver with -where, which must reach the server
# as filter= (Debian's GDAL 3.6, and GDAL 3.10 from the chroot tools/test
# makes, when there is one);
# the csv, gpkg and fgb downloads read back with Python's csv, OGR and
# ogrinfo (features_clients.py). Expected values never come from coopmap.
# Exits 77 (skipped) without Debian's GDAL bindings, OWSLib, ogrinfo or
# node, except in CI.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, which has osgeo and owslib (not a python3 earlier on PATH)
need "python3-gdal" "$PY" -c "from osgeo import gdal, ogr, osr"
need python3-owslib "$PY" -c "import owslib.ogcapi.features"
need "ogrinfo (gdal-bin)" command -v ogrinfo
need "node (tests/node)" command -v node
here=$(cd "$(dirname "$0")" && pwd)

# The reference on its own: converter, three-valued logic, SQLite/SpatiaLite, margins.
"$PY" "$here/cql2_reference.py" --self-test "$COOPMAP_ROOT" >"$WORK/selftest" 2>&1 || true
sed 's/^/# /' "$WORK/selftest"
check "cql2_reference.py agrees with OGR's SQLite dialect and SpatiaLite" grep -q '^OK: ' "$WORK/selftest"

start_server --quiet --project "$COOPMAP_ROOT/geodata/coopmap.json"

# GDAL 3.10 (its OAPIF driver speaks CQL2) in the chroot tools/test makes, when there is one.
GDAL_CHROOT=${COOPMAP_GDAL_CHROOT:-/var/lib/coopmap/gdal-trixie}
if [ -x "$GDAL_CHROOT/usr/bin/ogrinfo" ] && [ "$(id -u)" -eq 0 ]; then
    export GDAL_CHROOT
else
    [ -n "${CI:-}" ] && not_ok "GDAL 3.10 in $GDAL_CHROOT (tools/test makes it) and root for chroot are needed in CI"
    echo "# no $GDAL_CHROOT (or not root): GDAL 3.10's CQL2 filters are not tried"
    unset GDAL_CHROOT
fi

status=0
timeout 80 "$PY" "$here/features_clients.py" "${BASE%/}" "$WORK/clients" "$COOPMAP_ROOT" >"$WORK/clients.out" 2>&1 || status=$?
sed 's/^/# /' "$WORK/clients.out"
passed=$(grep -c '^ok' "$WORK/clients.out" || true)
failed=$(grep -c '^not ok' "$WORK/clients.out" || true)
check "CQL2 table, errors, sortby, skipGeometry, queryables, GDAL, downloads: $passed checks pass, $failed fail" \
    test "$status" -eq 0 -a "$passed" -ge 400
grep '^not ok' "$WORK/clients.out" | sed 's/^/# FAILED: /' | head -40 || true

if [ -d "$COOPMAP_ROOT/tests/node/node_modules/@apidevtools" ]; then
    check "/api is still a valid OpenAPI 3 document" node "$COOPMAP_ROOT/tests/node/validate-openapi.mjs" "${BASE%/}/api"
elif [ -n "${CI:-}" ]; then
    not_ok "tests/node's modules (tools/test installs them) are needed in CI to validate /api"
else
    echo "# no tests/node/node_modules (tools/test installs them): /api is not validated"
fi

# After every bad request above, the server still answers.
http GET /health
check "/health after the bad requests: $STATUS" test "$STATUS" = 200
stop_server
finish
