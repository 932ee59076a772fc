"""QGIS (PyQGIS, headless) reads coopmap's vector tiles the way its vector
tile layer does (Layer > Add Vector Tile Layer with the tile URL and the
style URL), converts coopmap's MapLibre style with its own converter, and
renders the view; the picture is compared with coopmap's raster map of the
same view, 16 px blocks by mean colour, as the MapLibre browser test does.

  QT_QPA_PLATFORM=offscreen python3 qgis_vector.py BASE_URL OUT_DIR

Prints ok/not ok lines; exits 1 if any check fails."""
import json
import math
import sys
import urllib.request

from qgis.core import (Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsMapBoxGlStyleConversionContext,
                       QgsMapBoxGlStyleConverter, QgsMapRendererSequentialJob, QgsMapSettings, QgsRectangle,
                       QgsVectorTileLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage

BASE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
W, H, ZOOM, CENTER = 1024, 768, 9.5, (16.15, 46.75)
MAX_DIFF, MIN_SAME = 8, 0.90
FAILED = []


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILED.append(what)


def mercator(lon, lat):
    r = 6378137.0
    return r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def block_means(img):
    """Mean RGB of each 16 px block (every other pixel of it)."""
    means = []
    for by in range(0, H, 16):
        for bx in range(0, W, 16):
            s = [0, 0, 0]
            for y in range(by, by + 16, 2):
                for x in range(bx, bx + 16, 2):
                    p = img.pixel(x, y)
                    s[0] += (p >> 16) & 255
                    s[1] += (p >> 8) & 255
                    s[2] += p & 255
            means.append([v / 64 for v in s])
    return means


def share_alike(a, b):
    same = sum(1 for p, q in zip(a, b) if math.dist(p, q) <= MAX_DIFF)
    return same / len(a)


def raster(center, path):
    url = "%s/map.png?center=%g,%g&zoom=%g&width=%d&height=%d" % (BASE, center[0], center[1], ZOOM, W, H)
    urllib.request.urlretrieve(url, path)
    img = QImage(path)
    return block_means(img.convertToFormat(QImage.Format_RGB32))


def main():
    layer = QgsVectorTileLayer("type=xyz&url=%s/tiles/vector/{z}/{x}/{y}.mvt&zmin=0&zmax=14" % BASE, "coopmap")
    check("QGIS %s opens the vector tile layer" % Qgis.version(), layer.isValid())
    with urllib.request.urlopen(BASE + "/styles/default.json") as r:
        style = json.load(r)
    context = QgsMapBoxGlStyleConversionContext()
    converter = QgsMapBoxGlStyleConverter()
    result = converter.convert(style, context)
    check("QGIS converts coopmap's MapLibre style: %d warnings (%s)"
          % (len(converter.warnings()), "; ".join(converter.warnings()[:3])),
          result == QgsMapBoxGlStyleConverter.Success and converter.renderer() is not None)
    layer.setRenderer(converter.renderer())
    if converter.labeling():
        layer.setLabeling(converter.labeling())

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setOutputSize(QSize(W, H))
    res = 2 * 20037508.342789244 / 256 / 2 ** ZOOM
    cx, cy = mercator(*CENTER)
    settings.setExtent(QgsRectangle(cx - W / 2 * res, cy - H / 2 * res, cx + W / 2 * res, cy + H / 2 * res))
    # QGIS 3.22's converter skips background layers: the map gets the style's.
    paint = [l.get("paint", {}) for l in style["layers"] if l["type"] == "background"]
    colour = QColor(paint[0].get("background-color", "white")) if paint else QColor("white")
    settings.setBackgroundColor(colour if colour.isValid() else QColor("white"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(OUT + "/qgis.png")
    check("QGIS renders the view (%dx%d, %d render errors)" % (img.width(), img.height(), len(job.errors())),
          img.width() == W and img.height() == H and len(job.errors()) == 0)

    mine = block_means(img.convertToFormat(QImage.Format_RGB32))
    share = share_alike(mine, raster(CENTER, OUT + "/raster.png"))
    shifted = share_alike(mine, raster((CENTER[0] + 0.25, CENTER[1]), OUT + "/shifted.png"))
    check("the comparison tells maps apart: the raster map shifted by 0.25 degrees scores %.1f %%" % (100 * shifted),
          shifted < MIN_SAME)
    check("QGIS's picture matches coopmap's raster map: %.1f %% of 16 px blocks within %d (>= %d %%)"
          % (100 * share, MAX_DIFF, 100 * MIN_SAME), share >= MIN_SAME)


app = QgsApplication([], False)
app.initQgis()
try:
    main()
except Exception as e:  # a QGIS error is a failed check, not a crash of the test
    check("QGIS: %s" % e, False)
app.exitQgis()
sys.exit(1 if FAILED else 0)
