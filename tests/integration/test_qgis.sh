#!/usr/bin/env bash
# QGIS (Debian's 3.22, headless PyQGIS) reads coopmap's vector tiles as its
# vector tile layer does, styled by its own conversion of
# /styles/default.json, and draws the picture coopmap's raster map shows
# (qgis_vector.py). Exits 77 (skipped) without PyQGIS, except in CI.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, which has PyQGIS (not a python3 earlier on PATH)
need python3-qgis "$PY" -c "import qgis.core"

start_server --quiet
status=0
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$WORK" timeout 120 \
    "$PY" "$(dirname "$0")/qgis_vector.py" "${BASE%/}" "$WORK" >"$WORK/qgis" 2>&1 || status=$?
sed 's/^/# /' "$WORK/qgis"
mkdir -p "${COOPMAP_BUILD:-/tmp}/screenshots" && cp "$WORK/qgis.png" "${COOPMAP_BUILD:-/tmp}/screenshots/qgis-vector.png" 2>/dev/null || true
check "QGIS's vector tile layer: $(grep -c '^ok' "$WORK/qgis") checks pass, $(grep -c '^not ok' "$WORK/qgis") fail" \
    test $status -eq 0 -a "$(grep -c '^ok' "$WORK/qgis")" -ge 5
stop_server
finish
