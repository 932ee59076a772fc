"""QGIS (PyQGIS, headless) adds coopmap's WMS as a raster layer the way
Layer > Add WMS/WMTS Layer does (the "wms" provider: it reads the 1.3.0
capabilities, then asks GetMap), and renders the whole map in EPSG:3794
over the towns' extent. The picture must not be uniform, and at the towns
(projected by QGIS's own QgsCoordinateTransform, placed by the map
settings' mapToPixel) it must show the towns' circle colour from
styles/default.json, a colour that covers only a small share of the map.

  QT_QPA_PLATFORM=offscreen python3 qgis_wms.py BASE_URL OUT_DIR COOPMAP_ROOT

Prints ok/not ok lines; exits 1 if any check fails."""
import json
import math
import os
import sys

from qgis.core import (Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsMapRendererSequentialJob,
                       QgsMapSettings, QgsPointXY, QgsProject, QgsRasterLayer, QgsRectangle)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

BASE, OUT, ROOT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
SIZE, TOL = 512, 16
BACKGROUND = QColor(255, 0, 255)  # magenta: where the WMS image would be transparent
FAILED = []


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILED.append(what)


def hex_rgb(h):
    h = h.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def towns():
    """name, lon, lat and the circle-color styles/default.json gives each town
    (["case", [partner test], a, b] or a plain colour)."""
    style = json.load(open(os.path.join(ROOT, "styles", "default.json"), encoding="utf-8"))
    c = [l for l in style["layers"] if l["type"] == "circle" and l.get("source-layer") == "towns"][0]["paint"]["circle-color"]
    out = []
    for f in json.load(open(os.path.join(ROOT, "geodata", "cities.geojson"), encoding="utf-8"))["features"]:
        partner = f["properties"].get("project_partner") is not None
        if isinstance(c, list) and c[0] == "case" and c[1] == ["!=", ["get", "project_partner"], None]:
            colour = hex_rgb(c[2] if partner else c[3])
        else:
            colour = hex_rgb(c)
        lon, lat = f["geometry"]["coordinates"]
        out.append((f["properties"]["name"], lon, lat, colour))
    return out


def rgb(img, x, y):
    p = img.pixel(x, y)
    return (p >> 16) & 255, (p >> 8) & 255, p & 255


def near(img, x, y, want):
    """Whether a pixel of the 3x3 around (x, y) is within TOL of want."""
    return any(math.dist(rgb(img, i, j), want) <= TOL
               for j in range(max(0, y - 1), min(SIZE, y + 2)) for i in range(max(0, x - 1), min(SIZE, x + 2)))


def main():
    uri = "crs=EPSG:3794&format=image/png&layers=coopmap&styles=&url=%s/wms" % BASE
    layer = QgsRasterLayer(uri, "coopmap", "wms")
    check("QGIS %s's WMS provider opens %s (%s)" % (Qgis.version(), uri, layer.error().summary() if not layer.isValid() else "valid"),
          layer.isValid())
    if not layer.isValid():
        return
    crs = QgsCoordinateReferenceSystem("EPSG:3794")
    ct = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), crs, QgsProject.instance())
    ts = towns()
    pts = [ct.transform(QgsPointXY(lon, lat)) for _, lon, lat, _ in ts]
    xs, ys = [p.x() for p in pts], [p.y() for p in pts]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) * 1.12
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setExtent(QgsRectangle(cx - span / 2, cy - span / 2, cx + span / 2, cy + span / 2))
    settings.setBackgroundColor(BACKGROUND)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(os.path.join(OUT, "qgis-wms.png"))
    errors = ["%s: %s" % (e.layerID, e.message) for e in job.errors()]
    check("QGIS renders the WMS layer in EPSG:3794, %dx%d (%d render errors%s)"
          % (img.width(), img.height(), len(errors), ": " + "; ".join(errors[:3]) if errors else ""),
          img.width() == SIZE and img.height() == SIZE and not errors)

    seen = {}
    for y in range(0, SIZE, 2):
        for x in range(0, SIZE, 2):
            c = rgb(img, x, y)
            seen[c] = seen.get(c, 0) + 1
    top = max(seen.values()) / sum(seen.values())
    check("the picture is not uniform: %d colours, the commonest on %.0f %% of pixels, %.0f %% left transparent (magenta)"
          % (len(seen), 100 * top, 100 * seen.get((255, 0, 255), 0) / sum(seen.values())),
          len(seen) > 50 and top < 0.6 and seen.get((255, 0, 255), 0) / sum(seen.values()) < 0.05)

    m2p = settings.mapToPixel()
    pix = [m2p.transform(p) for p in pts]
    pix = [(q.x(), q.y()) for q in pix]
    isolated = [i for i in range(len(ts)) if all(math.dist(pix[i], q) > 12 for j, q in enumerate(pix) if j != i)]
    hits = [ts[i][0] for i in isolated if near(img, int(pix[i][0]), int(pix[i][1]), ts[i][3])]
    misses = [ts[i][0] for i in isolated if ts[i][0] not in hits]
    check("at the %d isolated towns the towns' circle colour%s" % (len(isolated), "; not at: " + ", ".join(misses) if misses else ""),
          len(isolated) >= 8 and not misses)
    fills = {t[3] for t in ts}
    share = sum(n for c, n in seen.items() if any(math.dist(c, f) <= TOL for f in fills)) / sum(seen.values())
    check("and those colours cover only %.1f %% of the picture (< 15 %%), so the towns' pixels are no accident" % (100 * share),
          share < 0.15)


app = QgsApplication([], False)
app.initQgis()
try:
    main()
except Exception as e:  # a QGIS error is a failed check, not a crash of the test
    check("QGIS: %s: %s" % (type(e).__name__, e), False)
app.exitQgis()
sys.exit(1 if FAILED else 0)
