"""GDAL's OGCAPI driver (GDAL 3.10, its Python bindings) against coopmap's
OGC API - Tiles, as a GIS analyst's script would use it: the towns' and the
regions' vector tilesets as layers, a collection's map tileset as a raster,
and the landing page's collections as subdatasets. Compared with coopmap's
GeoJSON and PNG tiles, fetched separately.

  python3 gdal_ogcapi.py BASE_URL

Prints ok/not ok lines; exits 1 if any check fails."""
import json
import math
import sys
import urllib.request

from osgeo import gdal

gdal.UseExceptions()
BASE = sys.argv[1].rstrip("/")
FAILED = []


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILED.append(what)


def get(path):
    with urllib.request.urlopen(BASE + path) as r:
        return json.load(r)


def vector_tilesets(collection):
    return gdal.OpenEx("OGCAPI:%s/collections/%s" % (BASE, collection), gdal.OF_VECTOR)


def towns():
    ds = vector_tilesets("towns")
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    check("GDAL %s's OGCAPI driver opens the towns' vector tilesets: %d zoom levels"
          % (gdal.__version__, len(names)), names == ["Zoom level %d" % z for z in range(19)])
    src = {str(f["id"]): f for f in get("/collections/towns/items?limit=1000")["features"]}
    got = {}
    for f in ds.GetLayerByName("Zoom level 9"):
        g = f.GetGeometryRef()
        got.setdefault(str(f.GetField("id")), []).append((g.GetX(), g.GetY(), f.GetField("name")))
    cell = 0.703125 / 2 ** 9  # WorldCRS84Quad's cell size at zoom 9, degrees
    worst = 0
    for k, v in src.items():
        for x, y, _ in got.get(k, []):
            lon, lat = v["geometry"]["coordinates"]
            worst = max(worst, math.hypot(x - lon, y - lat) / cell)
    check("zoom 9: the %d towns once each (%d features), named as in the GeoJSON, worst %.3f px off"
          % (len(src), sum(map(len, got.values())), worst),
          set(got) == set(src) and all(len(v) == 1 for v in got.values())
          and all(got[k][0][2] == src[k]["properties"]["name"] for k in src) and worst < 0.5)


def regions():
    ds = vector_tilesets("regions")
    codes = {f.GetField("code") for f in ds.GetLayerByName("Zoom level 7")}
    want = {f["properties"]["code"] for f in get("/collections/regions/items?limit=1000")["features"]}
    check("regions at zoom 7: all %d regions' polygons (clipped per tile)" % len(want), codes == want)


def same_picture(a, b):
    """The share of pixels alike (each channel within 24) at the best shift
    of at most one pixel: GDAL's window need not fall on the tile grid."""
    best = 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            pa = a[:, 1 + dy:255 + dy, 1 + dx:255 + dx].astype(int)
            pb = b[:, 1:255, 1:255].astype(int)
            best = max(best, float((abs(pa - pb).max(axis=0) <= 24).mean()))
    return best


def map_tileset():
    ds = gdal.Open("OGCAPI:%s/collections/towns" % BASE)
    srs = ds.GetSpatialRef()
    overviews = ds.GetRasterBand(1).GetOverviewCount()
    check("the map tileset as a raster: %dx%d, %d bands, EPSG:%s, %d overviews"
          % (ds.RasterXSize, ds.RasterYSize, ds.RasterCount, srs.GetAuthorityCode(None), overviews),
          ds.RasterCount == 4 and srs.GetAuthorityCode(None) == "3857" and overviews >= 10)
    o = 20037508.342789244
    s = 2 * o / 2 ** 10
    win = gdal.Translate("/vsimem/t.tif", ds, width=256, height=256, resampleAlg="nearest",
                         projWin=[-o + 557 * s, o - 361 * s, -o + 558 * s, o - 362 * s])
    a = win.ReadAsArray()[:3]
    b = gdal.Open("/vsicurl/%s/tiles/default/10/557/361.png" % BASE).ReadAsArray()[:3]
    share = same_picture(a, b)
    check("GDAL's window of tile 10/557/361 is coopmap's PNG tile: %.1f %% of pixels alike"
          % (100 * share), share >= 0.97)


def landing():
    ds = gdal.Open("OGCAPI:%s/" % BASE)
    subs = ds.GetMetadata("SUBDATASETS")
    n = len(get("/collections")["collections"])
    check("the landing page: %d collections as subdatasets" % (len(subs) // 2), len(subs) == 2 * n)


for step in (towns, regions, map_tileset, landing):
    try:
        step()
    except Exception as e:  # a GDAL error is a failed check, not a crash of the test
        check("%s: %s" % (step.__name__, e), False)
sys.exit(1 if FAILED else 0)
