#!/usr/bin/env bash
# WMS 1.3.0 (/wms) with clients nobody here wrote: OWSLib (capabilities,
# GetMap, GetFeatureInfo, legends), GDAL's WMS driver (GeoTIFFs in EPSG:3794,
# 23700, 31287 and 3035, every town's circle within 1 px of where PROJ's
# cs2cs puts it), EPSG:4326's axis order both ways, the ServiceException
# codes, TRANSPARENT and BGCOLOR (wms_clients.py); QGIS's WMS provider
# renders the map in EPSG:3794 (qgis_wms.py, build/screenshots/qgis-wms.png).
# Expected values come from geodata/, styles/ and PROJ, never from coopmap.
# Exits 77 (skipped) without Debian's OWSLib, GDAL, numpy, cs2cs or PyQGIS,
# except in CI.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, which has osgeo, numpy, owslib and PyQGIS (not a python3 earlier on PATH)
need python3-owslib "$PY" -c "import owslib.wms"
need "python3-gdal and python3-numpy" "$PY" -c "from osgeo import gdal, ogr, osr; import numpy"
need "gdal_translate (gdal-bin)" command -v gdal_translate
need "cs2cs (proj-bin)" command -v cs2cs
need python3-qgis "$PY" -c "import qgis.core"

start_server --quiet --project "$COOPMAP_ROOT/geodata/coopmap.json"
here=$(dirname "$0")

status=0
timeout 120 "$PY" "$here/wms_clients.py" "${BASE%/}" "$WORK" "$COOPMAP_ROOT" >"$WORK/clients" 2>&1 || status=$?
sed 's/^/# /' "$WORK/clients"
check "OWSLib, GDAL's WMS driver and raw requests: $(grep -c '^ok' "$WORK/clients") checks pass, $(grep -c '^not ok' "$WORK/clients") fail" \
    test $status -eq 0 -a "$(grep -c '^ok' "$WORK/clients")" -ge 60

status=0
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$WORK" timeout 120 \
    "$PY" "$here/qgis_wms.py" "${BASE%/}" "$WORK" "$COOPMAP_ROOT" >"$WORK/qgis" 2>&1 || status=$?
sed 's/^/# /' "$WORK/qgis"
mkdir -p "${COOPMAP_BUILD:-/tmp}/screenshots" && cp "$WORK/qgis-wms.png" "${COOPMAP_BUILD:-/tmp}/screenshots/qgis-wms.png" 2>/dev/null || true
check "QGIS's WMS layer: $(grep -c '^ok' "$WORK/qgis") checks pass, $(grep -c '^not ok' "$WORK/qgis") fail" \
    test $status -eq 0 -a "$(grep -c '^ok' "$WORK/qgis")" -ge 5

# After every bad request above, the server still answers.
http GET /health
check "/health after the bad requests: $STATUS" test "$STATUS" = 200
stop_server

# A project that names its contact: OWSLib reads it from the capabilities.
"$PY" - "$COOPMAP_ROOT/geodata/coopmap.json" "$WORK/contact.json" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
p = json.load(open(src, encoding="utf-8"))
here = os.path.dirname(os.path.abspath(src))
for layer in p["layers"]:
    layer["source"] = os.path.join(here, layer["source"])
p["attribution_file"] = os.path.join(here, p["attribution_file"])
p["contact"] = {"person": "Ana Novak", "organization": "Občina Lendava & <Lendva>",
                "email": "gis@example.org", "phone": "+386 2 000 00 00"}
json.dump(p, open(out, "w", encoding="utf-8"), ensure_ascii=False)
PY
start_server --quiet --project "$WORK/contact.json"
contact=$("$PY" -c "
import sys, urllib.request, xml.etree.ElementTree as ET
from owslib.wms import WebMapService
c = WebMapService(sys.argv[1] + '/wms', version='1.3.0').provider.contact
# (OWSLib 0.27 looks for the e-mail address outside the WMS namespace: read it directly)
doc = ET.parse(urllib.request.urlopen(sys.argv[1] + '/wms?SERVICE=WMS&REQUEST=GetCapabilities'))
ns = {'w': 'http://www.opengis.net/wms'}
info = doc.find('w:Service/w:ContactInformation', ns)
print('|'.join([c.name or '', c.organization or '', info.findtext('w:ContactElectronicMailAddress', '', ns),
                info.findtext('w:ContactVoiceTelephone', '', ns)]))
" "${BASE%/}" 2>&1 || true)
check "the project's contact in the capabilities (OWSLib and the XML: $contact)" \
    test "$contact" = "Ana Novak|Občina Lendava & <Lendva>|gis@example.org|+386 2 000 00 00"
stop_server
finish
