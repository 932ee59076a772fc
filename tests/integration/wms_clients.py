"""coopmap's WMS 1.3.0 (/wms) as clients nobody here wrote use it: OWSLib
reads the capabilities, draws a map, asks GetFeatureInfo and fetches the
legends; GDAL's WMS driver turns GetMap into GeoTIFFs in four CRSs (two of
them northing-first, so the 1.3.0 BBOX is N,E) and every town's circle is
found within 1 px of where PROJ's cs2cs puts it; EPSG:4326's axis order is
compared both ways, pixel for pixel; bad requests get 400 with the right
ServiceException code; TRANSPARENT and BGCOLOR are obeyed.

Expected values come from the data (geodata/*.geojson, read with OGR and
json), from the style files and from PROJ (cs2cs, cross-checked with OSR),
never from coopmap.

  /usr/bin/python3 wms_clients.py BASE_URL OUT_DIR COOPMAP_ROOT

Prints ok/not ok lines; exits 1 if any check fails."""
import html
import json
import math
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import numpy as np
from osgeo import gdal, ogr, osr
from owslib.wms import WebMapService

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()
BASE, OUT, ROOT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
WMS = BASE + "/wms"
OGC = "{http://www.opengis.net/ogc}"
CRSS = ["CRS:84", "EPSG:4326", "EPSG:4258", "EPSG:3857", "EPSG:3035", "EPSG:3794",
        "EPSG:31287", "EPSG:31256", "EPSG:31255", "EPSG:23700"]
MODELS = ["complete", "knn", "within", "mst", "delaunay", "gabriel", "rng", "edges"]
FAILED = []


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILED.append(what)
    return cond


# --- the data, independently of coopmap ----------------------------------------

def read_towns():
    ds = ogr.Open(os.path.join(ROOT, "geodata", "cities.geojson"))
    towns = []
    for f in ds.GetLayer(0):  # ds stays referenced while its layer is read
        g = f.GetGeometryRef()
        towns.append({"name": f.GetField("name"), "lon": g.GetX(), "lat": g.GetY(),
                      "partner": f.GetField("project_partner") is not None})
    return towns


TOWNS = read_towns()
PROJECT = json.load(open(os.path.join(ROOT, "geodata", "coopmap.json"), encoding="utf-8"))
LON = [t["lon"] for t in TOWNS]
LAT = [t["lat"] for t in TOWNS]


def northing_first(crs):
    s = osr.SpatialReference()
    s.SetFromUserInput(crs)
    return bool(s.EPSGTreatsAsNorthingEasting() or s.EPSGTreatsAsLatLong())


def project(crs, lonlat=None):
    """(x, y) = (easting, northing) of the towns (or of lonlat pairs) in crs,
    by PROJ's cs2cs, which reads EPSG:4326 as lat lon and writes the target's
    EPSG axis order (N E for northing-first CRSs, swapped back here).
    Cross-checked with OSR in the traditional GIS order."""
    pts = lonlat if lonlat is not None else [(t["lon"], t["lat"]) for t in TOWNS]
    if crs in ("CRS:84", "EPSG:4326", "EPSG:4258"):
        return list(pts)
    text = "".join("%.8f %.8f\n" % (lat, lon) for lon, lat in pts)
    out = subprocess.run(["cs2cs", "-f", "%.4f", "EPSG:4326", crs], input=text, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    xy = []
    for line in out[:len(pts)]:
        a, b = (float(v) for v in line.split()[:2])
        xy.append((b, a) if northing_first(crs) else (a, b))
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.SetFromUserInput(crs)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    worst = max(math.hypot(p[0] - q[0], p[1] - q[1])
                for p, q in zip(xy, (ct.TransformPoint(lon, lat)[:2] for lon, lat in pts)))
    if worst > 5:
        raise RuntimeError("cs2cs and OSR disagree by %.1f m in %s: the expected positions are unsure" % (worst, crs))
    return xy


def town_fill_colours(style_name):
    """The circle-color of the style's towns layer for each town, read from
    styles/<name>.json: a colour, or ["case", [partner test], a, b]."""
    style = json.load(open(os.path.join(ROOT, "styles", style_name + ".json"), encoding="utf-8"))
    paint = [l for l in style["layers"] if l["type"] == "circle" and l.get("source-layer") == "towns"][0]["paint"]
    c = paint.get("circle-color", "#000000")
    if isinstance(c, list) and c[0] == "case" and len(c) == 4 and c[1] == ["!=", ["get", "project_partner"], None]:
        return [hex_rgb(c[2]) if t["partner"] else hex_rgb(c[3]) for t in TOWNS]
    if isinstance(c, str):
        return [hex_rgb(c)] * len(TOWNS)
    raise RuntimeError("unexpected circle-color in styles/%s.json: %r" % (style_name, c))


def hex_rgb(h):
    h = h.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


# --- HTTP and images ----------------------------------------------------------

def get(query, path="/wms"):
    """(status, content type, body) of GET BASE+path?query; query is a dict or
    a raw, already-escaped string."""
    if isinstance(query, dict):
        query = urllib.parse.urlencode(query, safe=",:")
    try:
        with urllib.request.urlopen(BASE + path + "?" + query, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


_mem = [0]


def rgba(data):
    """A PNG (or anything GDAL reads) as an H x W x 4 uint8 array, palette,
    grey and alpha expanded; None if it is not an image."""
    _mem[0] += 1
    path = "/vsimem/wms%d" % _mem[0]
    gdal.FileFromMemBuffer(path, data)
    try:
        ds = gdal.Open(path)
    except RuntimeError:
        gdal.Unlink(path)
        return None
    a = ds.ReadAsArray()
    if a.ndim == 2:
        a = a[None]
    ct = ds.GetRasterBand(1).GetColorTable()
    h, w = a.shape[1:]
    if ct is not None:
        lut = np.zeros((256, 4), np.uint8)
        for i in range(min(256, ct.GetCount())):
            lut[i] = ct.GetColorEntry(i)
        out = lut[a[0]]
    else:
        out = np.full((h, w, 4), 255, np.uint8)
        if a.shape[0] in (1, 2):
            out[..., :3] = a[0][..., None]
            if a.shape[0] == 2:
                out[..., 3] = a[1]
        else:
            out[..., :3] = np.moveaxis(a[:3], 0, -1)
            if a.shape[0] >= 4:
                out[..., 3] = a[3]
    ds = None
    gdal.Unlink(path)
    return out


def is_png(data):
    return data[:8] == b"\x89PNG\r\n\x1a\n"


def colours(img):
    return len(np.unique(img.reshape(-1, 4), axis=0))


def exception_code(ctype, body, version="1.3.0"):
    """The code of a ServiceExceptionReport, or a description of what came
    instead: 1.3.0's is text/xml in the OGC namespace, 1.1.1's is
    application/vnd.ogc.se_xml in none."""
    ns, mime = (OGC, "text/xml") if version == "1.3.0" else ("", "application/vnd.ogc.se_xml")
    if not ctype.startswith(mime):
        return "Content-Type %s" % ctype
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return "not XML: %r" % body[:120]
    if root.tag != ns + "ServiceExceptionReport":
        return "root %s" % root.tag
    if root.get("version") != version:
        return "version %r" % root.get("version")
    e = root.find(ns + "ServiceException")
    if e is None:
        return "no ServiceException"
    if not (e.text or "").strip():
        return "empty message, code %s" % e.get("code")
    return e.get("code")


# --- the views -----------------------------------------------------------------

def square_bbox(xy, margin=0.06):
    """A square bbox around the points, margin (share of the larger span) on
    every side."""
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) * (1 + 2 * margin)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return (cx - span / 2, cy - span / 2, cx + span / 2, cy + span / 2)


def to_pixel(p, bbox, w, h):
    """Continuous pixel coordinates (0,0 = top-left corner of the image)."""
    return ((p[0] - bbox[0]) / (bbox[2] - bbox[0]) * w, (bbox[3] - p[1]) / (bbox[3] - bbox[1]) * h)


XY3794 = project("EPSG:3794")
BBOX3794 = square_bbox(XY3794)
SIZE = 512
PIX3794 = [to_pixel(p, BBOX3794, SIZE, SIZE) for p in XY3794]


def isolated(i, pix, radius):
    return all(math.dist(pix[i], q) > radius for j, q in enumerate(pix) if j != i)


def fill_at(img, p, want, tol=16):
    """Whether a pixel of the 3x3 around p has the colour want (within tol)."""
    x, y = int(p[0]), int(p[1])
    win = img[max(0, y - 1):y + 2, max(0, x - 1):x + 2, :3].astype(int)
    return bool((np.sqrt(((win - np.array(want)) ** 2).sum(axis=-1)) <= tol).any())


# --- 1. OWSLib -------------------------------------------------------------------

def owslib_capabilities():
    global SERVICE
    wms = WebMapService(WMS, version="1.3.0", timeout=60)
    SERVICE = wms
    title = PROJECT["title"]
    check("OWSLib parses the 1.3.0 capabilities (version %s)" % wms.identification.version,
          wms.identification.version == "1.3.0")
    check("the service title is the project's: %r" % wms.identification.title, wms.identification.title == title)
    names = set(wms.contents)
    want = {"coopmap", "towns", "regions", "countries", "rivers", "ties", "network"} | {"network-" + m for m in MODELS}
    check("the layers: %s%s" % (", ".join(sorted(names)), "; missing " + ", ".join(sorted(want - names)) if want - names else ""),
          want <= names)
    root = wms.contents.get("coopmap")
    check("the root layer coopmap is titled as the project (%r)" % (root.title if root else None),
          root is not None and root.title == title and root.parent is None)
    children = {n for n in want - {"coopmap"} if n in wms.contents and wms.contents[n].parent is root}
    check("the other %d layers are its children" % len(children), children == want - {"coopmap"})
    queryable = {n: wms.contents[n].queryable for n in want & names if n != "coopmap"}
    check("towns, regions, countries, rivers, ties, network are queryable, network-* not: %s" % queryable,
          all(q == (0 if n.startswith("network-") else 1) for n, q in queryable.items()) and len(queryable) == len(want) - 1)
    lonlat = (min(LON), min(LAT), max(LON), max(LAT))
    for n in ("towns", "regions"):
        bb = wms.contents[n].boundingBoxWGS84 if n in wms.contents else None
        check("%s: EX_GeographicBoundingBox %s contains the towns' extent %s" % (n, bb, tuple(round(v, 4) for v in lonlat)),
              bb is not None and bb[0] <= lonlat[0] and bb[1] <= lonlat[1] and bb[2] >= lonlat[2] and bb[3] >= lonlat[3])
    bb = wms.contents["towns"].boundingBoxWGS84
    check("towns: and it is the towns' extent (within 0.01 degrees)", bb is not None and max(abs(a - b) for a, b in zip(bb, lonlat)) < 0.01)
    for n in ("towns", "regions", "network-knn"):
        opts = {c.upper() for c in wms.contents[n].crsOptions}
        check("%s: the 10 CRSs offered%s" % (n, "; missing " + ", ".join(c for c in CRSS if c not in opts) if set(CRSS) - opts else ""),
              set(CRSS) <= opts)
    # A BoundingBox per CRS, in the CRS's 1.3.0 axis order (OWSLib swaps the
    # northing-first ones back to x/y): it must hold every town as cs2cs puts it.
    boxes = {b[4].upper(): b[:4] for b in wms.contents["towns"].crs_list}
    for crs in CRSS:
        b = boxes.get(crs)
        xy = project(crs)
        tol = 1e-5 if crs in ("CRS:84", "EPSG:4326", "EPSG:4258") else 1.0
        inside = b is not None and all(b[0] - tol <= x <= b[2] + tol and b[1] - tol <= y <= b[3] + tol for x, y in xy)
        check("towns: BoundingBox CRS=%s %s holds the 24 towns (axis order %s)"
              % (crs, tuple(round(v, 4) for v in b) if b else None, "N,E" if northing_first(crs) else "E,N"), inside)
    styles = wms.contents["towns"].styles
    check("towns: styles default and light (%s)" % ", ".join(sorted(styles)), {"default", "light"} <= set(styles))
    for s in ("default", "light"):
        url = styles.get(s, {}).get("legend")
        status, ctype, body = (0, "", b"")
        if url:
            try:
                with urllib.request.urlopen(url, timeout=60) as r:
                    status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
            except urllib.error.HTTPError as e:
                status, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
        img = rgba(body) if is_png(body) else None
        check("style %s: its LegendURL %s is a PNG (%s, %s, %s)" % (s, url, status, ctype, img.shape[1::-1] if img is not None else "-"),
              status == 200 and ctype.startswith("image/png") and img is not None and colours(img) > 1)


def owslib_getmap():
    maps = {}
    for style in ("default", "light"):
        r = SERVICE.getmap(layers=["coopmap"], styles=[style], srs="EPSG:3794", bbox=BBOX3794, size=(SIZE, SIZE), format="image/png")
        body = r.read()
        img = rgba(body) if is_png(body) else None
        maps[style] = img
        check("OWSLib getmap coopmap, style %s, EPSG:3794: a %dx%d PNG with %s colours"
              % (style, SIZE, SIZE, colours(img) if img is not None else "no"),
              img is not None and img.shape[:2] == (SIZE, SIZE) and colours(img) > 20)
    if maps["default"] is not None:
        open(os.path.join(OUT, "owslib-coopmap.png"), "wb").write(
            SERVICE.getmap(layers=["coopmap"], srs="EPSG:3794", bbox=BBOX3794, size=(SIZE, SIZE), format="image/png").read())
    if maps["default"] is not None and maps["light"] is not None:
        check("the light style draws another picture (%.0f %% of pixels differ)" % (100 * (maps["default"] != maps["light"]).any(axis=-1).mean()),
              (maps["default"] != maps["light"]).any(axis=-1).mean() > 0.2)
    for style in ("default", "light"):
        img = maps[style]
        if img is None:
            continue
        fills = town_fill_colours(style)
        sel = [i for i in range(len(TOWNS)) if isolated(i, PIX3794, 12)]
        hit = [TOWNS[i]["name"] for i in sel if fill_at(img, PIX3794[i], fills[i])]
        miss = [TOWNS[i]["name"] for i in sel if TOWNS[i]["name"] not in hit]
        check("style %s: the %d isolated towns show their circle colour where cs2cs puts them%s"
              % (style, len(sel), "; not: " + ", ".join(miss) if miss else ""), len(sel) >= 8 and not miss)


def pick_gfi_town():
    """Of the towns with no other town within 15 px, the one farthest from any
    region's or country's boundary (at least 0.01 degrees, a few pixels); the
    regions and countries whose polygons hold it (OGR)."""
    def polygons(name):
        ds = ogr.Open(os.path.join(ROOT, "geodata", name + ".geojson"))  # kept open while its layer is read
        return [(f.GetField("code"), f.GetGeometryRef().Clone()) for f in ds.GetLayer(0)]
    regions, countries = polygons("regions"), polygons("countries")
    best = None
    for i, t in enumerate(TOWNS):
        if not isolated(i, PIX3794, 15):
            continue
        pt = ogr.CreateGeometryFromWkt("POINT (%.8f %.8f)" % (t["lon"], t["lat"]))
        clear = min(g.Boundary().Distance(pt) for _, g in regions + countries)
        if best is None or clear > best[0]:
            best = (clear, i, {c for c, g in regions if g.Contains(pt)}, {c for c, g in countries if g.Contains(pt)})
    if best is None or best[0] < 0.01:
        raise RuntimeError("no town is isolated enough for GetFeatureInfo")
    return best[1:]


def owslib_featureinfo():
    i, region_codes, country_codes = pick_gfi_town()
    town = TOWNS[i]
    ij = (int(PIX3794[i][0]), int(PIX3794[i][1]))
    args = dict(srs="EPSG:3794", bbox=BBOX3794, size=(SIZE, SIZE), format="image/png", xy=ij)
    r = SERVICE.getfeatureinfo(layers=["towns"], query_layers=["towns"], info_format="application/json", **args)
    ctype, body = r.info().get("Content-Type", ""), r.read()
    d = json.loads(body)
    feats = d.get("features", [])
    p = feats[0].get("properties", {}) if feats else {}
    check("GetFeatureInfo at %s's pixel %s (cs2cs): %s, %d feature(s), first %r (layer %r)"
          % (town["name"], ij, ctype, len(feats), p.get("name"), feats[0].get("layer") if feats else None),
          ctype.startswith("application/json") and d.get("type") == "FeatureCollection" and len(feats) == 1
          and feats[0].get("layer") == "towns" and p.get("name") == town["name"])
    check("it has the network measures: degree %r, closeness %r, weighted_degree %r, betweenness %r"
          % tuple(p.get(k) for k in ("degree", "closeness", "weighted_degree", "betweenness")),
          isinstance(p.get("degree"), int) and p["degree"] >= 1 and isinstance(p.get("closeness"), (int, float))
          and p["closeness"] > 0 and all(k in p for k in ("weighted_degree", "betweenness")))
    r = SERVICE.getfeatureinfo(layers=["towns"], query_layers=["towns"], info_format="application/geo+json", **args)
    d2 = json.loads(r.read())
    check("application/geo+json gives the same features", d2.get("features") == feats)
    # A pixel far from every town (but inside the map): no town there.
    far = max(((x, y) for x in range(8, SIZE, 16) for y in range(8, SIZE, 16)),
              key=lambda q: min(math.dist(q, p) for p in PIX3794))
    r = SERVICE.getfeatureinfo(layers=["towns"], query_layers=["towns"], info_format="application/json",
                               **dict(args, xy=far))
    d3 = json.loads(r.read())
    check("at pixel %s, %.0f px from the nearest town, no town (%d features)"
          % (far, min(math.dist(far, p) for p in PIX3794), len(d3.get("features", []))),
          d3.get("type") == "FeatureCollection" and d3.get("features") == [])
    r = SERVICE.getfeatureinfo(layers=["coopmap"], query_layers=["coopmap"], info_format="application/json",
                               feature_count=50, **args)
    feats = json.loads(r.read()).get("features", [])
    layers = [f.get("layer") for f in feats]
    got_regions = {f["properties"].get("code") for f in feats if f.get("layer") == "regions"}
    got_countries = {f["properties"].get("code") for f in feats if f.get("layer") == "countries"}
    check("QUERY_LAYERS=coopmap, FEATURE_COUNT=50: %s first, then %s" % (town["name"], ", ".join(map(str, layers[1:]))),
          bool(feats) and layers[0] == "towns" and feats[0]["properties"].get("name") == town["name"]
          and "towns" not in layers[1:] and all(layers.index("towns") < k for k, l in enumerate(layers) if l == "regions"))
    check("and the regions holding the town (OGR: %s) and its country (%s): got %s, %s"
          % (sorted(region_codes), sorted(country_codes), sorted(got_regions), sorted(got_countries)),
          got_regions == region_codes and got_countries == country_codes and region_codes)
    for fmt in ("text/html", "text/plain"):
        r = SERVICE.getfeatureinfo(layers=["towns"], query_layers=["towns"], info_format=fmt, **args)
        ctype, text = r.info().get("Content-Type", ""), r.read().decode("utf-8", "replace")
        shown = html.unescape(text) if fmt == "text/html" else text
        check("INFO_FORMAT=%s: %s, names %s" % (fmt, ctype, town["name"]), ctype.startswith(fmt) and town["name"] in shown)


# --- 2. GDAL's WMS driver ---------------------------------------------------------

def gdal_grid(xy, tile=1000, margin=8000):
    """An integer-metre bbox around the points whose size GDAL's WMS driver
    (GDALWMSDatasetGetConfigFromURL with TILESIZE=tile, OVERVIEWCOUNT=0)
    works out as whole pixels of one size s: (minx, miny, maxx, maxy, nx, ny, s)."""
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    w, h = max(xs) - min(xs) + 2 * margin, max(ys) - min(ys) + 2 * margin
    s = math.ceil(max(w, h) / tile)
    cx, cy = round((max(xs) + min(xs)) / 2), round((max(ys) + min(ys)) / 2)
    for extra in range(50):
        nx, ny = (tile, math.ceil(h / s) + extra) if w >= h else (math.ceil(w / s) + extra, tile)
        minx, miny = cx - nx * s // 2, cy - ny * s // 2
        maxx, maxy = minx + nx * s, miny + ny * s
        ratio = (maxx - minx) / (maxy - miny)
        gx, gy = (tile, tile / ratio) if ratio > 1 else (tile * ratio, tile)
        if (int(gx), int(gy)) == (nx, ny):
            return minx, miny, maxx, maxy, nx, ny, s
    raise RuntimeError("no exact grid")


def circle_centre(alpha, p, radius=7, seed=2):
    """(centroid, pixels) of the opaque blob at p (pixel centres at +0.5): the
    4-connected pixels of alpha >= 250 reached from the opaque pixel nearest p
    (within seed px), inside a (2 radius + 1) px window. Label halos are
    translucent, so a label next to a circle does not join it. None if no
    opaque pixel is near p."""
    h, w = alpha.shape
    x0, y0 = int(p[0]), int(p[1])
    opaque = alpha >= 250
    cands = [(math.dist((x + 0.5, y + 0.5), p), x, y) for y in range(y0 - seed, y0 + seed + 1)
             for x in range(x0 - seed, x0 + seed + 1) if 0 <= x < w and 0 <= y < h and opaque[y, x]]
    if not cands:
        return None
    _, sx, sy = min(cands)
    seen, todo = {(sx, sy)}, [(sx, sy)]
    while todo:
        x, y = todo.pop()
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if (nx, ny) not in seen and abs(nx - x0) <= radius and abs(ny - y0) <= radius \
                    and 0 <= nx < w and 0 <= ny < h and opaque[ny, nx]:
                seen.add((nx, ny))
                todo.append((nx, ny))
    # A label's glyph touching the circle joins it: trim the blob twice to the
    # disc of its own area around its centroid.
    pts = sorted(seen)
    for _ in range(3):
        c = (sum(x for x, _ in pts) / len(pts) + 0.5, sum(y for _, y in pts) / len(pts) + 0.5)
        r = math.sqrt(len(seen) / math.pi) + 0.5
        pts = [q for q in seen if math.dist((q[0] + 0.5, q[1] + 0.5), c) <= r] or pts
    return c, len(seen)


def gdal_wms():
    for crs in ("EPSG:3794", "EPSG:23700", "EPSG:31287", "EPSG:31256", "EPSG:31255", "EPSG:3035"):
        gdal_wms_crs(crs)


def gdal_wms_crs(crs):
    xy = project(crs)
    minx, miny, maxx, maxy, nx, ny, s = gdal_grid(xy)
    nf = northing_first(crs)
    bbox = (miny, minx, maxy, maxx) if nf else (minx, miny, maxx, maxy)
    url = ("WMS:%s?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=towns&STYLES=&CRS=%s&BBOX=%s"
           "&FORMAT=image/png&TRANSPARENT=TRUE&TILESIZE=1000&OVERVIEWCOUNT=0") % (WMS, crs, ",".join("%d" % v for v in bbox))
    tif = os.path.join(OUT, "wms-%s.tif" % crs.replace(":", ""))
    # gdal_translate with CPL_DEBUG: its HTTP debug lines show the requests made.
    env = dict(os.environ, CPL_DEBUG="ON", GDAL_HTTP_TIMEOUT="60")
    run = subprocess.run(["gdal_translate", "-q", "-of", "GTiff", url, tif], env=env, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise RuntimeError("gdal_translate %s: %s" % (crs, run.stderr.strip().splitlines()[-3:]))
    requests = [l for l in run.stderr.splitlines() if "Requesting [" in l and "request=getmap" in l.lower()]
    ds = gdal.Open(tif)
    gt = ds.GetGeoTransform()
    srs = ds.GetSpatialRef()
    code = srs.GetAuthorityCode(None) if srs else None
    sent = [m[m.find("http://"):].split(" ")[0] for m in requests]
    sent_bbox = [urllib.parse.parse_qs(urllib.parse.urlsplit(u).query).get("bbox", ["?"])[0] for u in sent]
    # Preconditions: GDAL read the 1.3.0 BBOX in the CRS's axis order and asked for it so.
    check("GDAL %s WMS driver, %s (%s): a %dx%d GeoTIFF, geotransform %s, %d GetMap request(s), BBOX sent %s"
          % (gdal.__version__, crs, "northing first" if nf else "easting first", ds.RasterXSize, ds.RasterYSize,
             tuple(round(v, 3) for v in gt), len(sent), sent_bbox),
          code == crs.split(":")[1] and ds.RasterCount == 4 and (ds.RasterXSize, ds.RasterYSize) == (nx, ny)
          and max(abs(a - b) for a, b in zip(gt, (minx, s, 0, maxy, 0, -s))) < 1e-6
          and len(sent) == 1 and all(len(b.split(",")) == 4 and max(abs(float(v) - w) for v, w in zip(b.split(","), bbox)) < 1
                                     for b in sent_bbox))
    alpha = ds.GetRasterBand(4).ReadAsArray()
    ds = None
    offsets, missing = [], []
    for t, (x, y) in zip(TOWNS, xy):
        p = ((x - gt[0]) / gt[1], (y - gt[3]) / gt[5])
        c = circle_centre(alpha, p)
        if c is None:
            missing.append(t["name"])
        else:
            offsets.append((math.dist(c[0], p), t["name"], c[1]))
    worst = max(offsets) if offsets else (float("nan"), "-", 0)
    transparent = (alpha == 0).mean()
    check("%s: all 24 towns' circles centred within 1 px of cs2cs's position (worst %.2f px, %s, %d px blob)%s; %.0f %% transparent"
          % (crs, worst[0], worst[1], worst[2], "; missing: " + ", ".join(missing) if missing else "", 100 * transparent),
          not missing and len(offsets) == 24 and worst[0] <= 1.0 and transparent > 0.5)


# --- 3. EPSG:4326's axis order -----------------------------------------------------

def getmap(params):
    q = dict({"SERVICE": "WMS", "REQUEST": "GetMap", "LAYERS": "coopmap", "STYLES": "", "WIDTH": "600", "HEIGHT": "600",
              "FORMAT": "image/png"}, **params)
    status, ctype, body = get(q)
    img = rgba(body) if status == 200 and is_png(body) else None
    return img, "%s %s" % (status, ctype)


def axis_order():
    lon0, lat0, lon1, lat1 = min(LON) - 0.1, min(LAT) - 0.1, max(LON) + 0.1, max(LAT) + 0.1
    f = lambda *v: ",".join("%.5f" % x for x in v)
    a, sa = getmap({"VERSION": "1.3.0", "CRS": "EPSG:4326", "BBOX": f(lat0, lon0, lat1, lon1)})
    b, sb = getmap({"VERSION": "1.3.0", "CRS": "CRS:84", "BBOX": f(lon0, lat0, lon1, lat1)})
    c, sc = getmap({"VERSION": "1.1.1", "SRS": "EPSG:4326", "BBOX": f(lon0, lat0, lon1, lat1)})
    d, sd = getmap({"VERSION": "1.3.0", "CRS": "EPSG:4326", "BBOX": f(lon0, lat0, lon1, lat1)})
    check("1.3.0 EPSG:4326 lat,lon (%s): a map of %s colours" % (sa, colours(a) if a is not None else "no"),
          a is not None and colours(a) > 20)
    check("1.3.0 CRS:84 lon,lat (%s) is the same picture, pixel for pixel" % sb, a is not None and b is not None and np.array_equal(a, b))
    check("1.1.1 SRS=EPSG:4326 lon,lat (%s) is the same picture too" % sc, a is not None and c is not None and np.array_equal(a, c))
    share = (a != d).any(axis=-1).mean() if a is not None and d is not None else 0
    check("1.3.0 EPSG:4326 given lon,lat (wrong, %s) is another place: %.0f %% of pixels differ" % (sd, 100 * share), share > 0.3)
    # A northing-first projected CRS: 1.3.0 N,E is 1.1.1's E,N.
    xy = project("EPSG:31287")
    x0, y0, x1, y1 = square_bbox(xy)
    e, se = getmap({"VERSION": "1.3.0", "CRS": "EPSG:31287", "BBOX": f(y0, x0, y1, x1)})
    g, sg = getmap({"VERSION": "1.1.1", "SRS": "EPSG:31287", "BBOX": f(x0, y0, x1, y1)})
    check("1.3.0 EPSG:31287 N,E (%s) and 1.1.1 E,N (%s): the same map of %s colours"
          % (se, sg, colours(e) if e is not None else "no"),
          e is not None and g is not None and colours(e) > 20 and np.array_equal(e, g))


# --- 4. Errors -----------------------------------------------------------------------

def errors():
    bb = ",".join("%.1f" % v for v in BBOX3794)
    swapped = ",".join("%.1f" % v for v in (BBOX3794[2], BBOX3794[1], BBOX3794[0], BBOX3794[3]))
    gm = "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=towns&STYLES=&CRS=EPSG:3794&BBOX=%s&WIDTH=256&HEIGHT=256&FORMAT=image/png"
    fi = ("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=%s&QUERY_LAYERS=%s&STYLES=&CRS=EPSG:3794&BBOX=" + bb
          + "&WIDTH=256&HEIGHT=256&FORMAT=image/png&INFO_FORMAT=application/json&I=%s&J=%s")
    status, ctype, body = get(gm % bb)
    check("the valid GetMap the bad ones are made from: %s %s" % (status, ctype), status == 200 and is_png(body))
    status, ctype, body = get(fi % ("towns", "towns", 100, 100))
    check("the valid GetFeatureInfo: %s %s" % (status, ctype), status == 200 and ctype.startswith("application/json"))
    cases = [
        ((gm % bb).replace("EPSG:3794", "EPSG:999999"), "InvalidCRS"),
        ((gm % bb).replace("VERSION=1.3.0", "VERSION=1.1.1").replace("CRS=EPSG:3794", "SRS=EPSG:999999"), "InvalidSRS"),
        ((gm % bb).replace("WIDTH=256&HEIGHT=256", "WIDTH=1000000000&HEIGHT=1000000000"), "InvalidParameterValue"),
        ((gm % bb).replace("WIDTH=256", "WIDTH=4097"), "InvalidParameterValue"),
        ((gm % bb).replace("WIDTH=256", "WIDTH=0"), "InvalidParameterValue"),
        ((gm % bb).replace("HEIGHT=256", "HEIGHT=12x"), "InvalidParameterValue"),
        (gm % swapped, "InvalidParameterValue"),
        (gm % "1,2,3", "InvalidParameterValue"),
        (gm % "1,2,nan,4", "InvalidParameterValue"),
        ((gm % bb).replace("VERSION=1.3.0", "VERSION=9.9.9"), "InvalidParameterValue"),
        ((gm % bb).replace("LAYERS=towns", "LAYERS=nope"), "LayerNotDefined"),
        ((gm % bb).replace("LAYERS=towns", "LAYERS=towns,nope"), "LayerNotDefined"),
        ((gm % bb).replace("image/png", "image/gif"), "InvalidFormat"),
        ((gm % bb).replace("STYLES=", "STYLES=nope"), "StyleNotDefined"),
        (fi % ("network-mst", "network-mst", 100, 100), "LayerNotQueryable"),
        (fi % ("towns", "towns", 256, 100), "InvalidPoint"),
        (fi % ("towns", "towns", 100, -1), "InvalidPoint"),
        ((gm % bb).replace("REQUEST=GetMap", "REQUEST=Nope"), "OperationNotSupported"),
        ("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=nope&FORMAT=image/png", "LayerNotDefined"),
        ((gm % bb).replace("&BBOX=" + bb, ""), "MissingParameterValue"),
        ((gm % bb).replace("&LAYERS=towns", ""), "MissingParameterValue"),
        ((gm % bb).replace("LAYERS=towns", "LAYERS=tow%00ns"), None),
        ((gm % bb).replace("LAYERS=towns", "LAYERS=%ff"), None),
        ((gm % bb).replace("LAYERS=towns", "LAYERS=t%C3%28owns"), None),
    ]
    for query, want in cases:
        status, ctype, body = get(query)
        code = exception_code(ctype, body, "1.1.1" if "VERSION=1.1.1" in query else "1.3.0")
        ok = status == 400 and (code == want if want else code in {
            "LayerNotDefined", "InvalidParameterValue"})
        check("%s: %s %s, code %s (want 400 %s)" % (shorten(query, bb), status, ctype, code, want or "LayerNotDefined|InvalidParameterValue"), ok)


def shorten(query, bb):
    return query.replace(bb, "<bbox>").replace("SERVICE=WMS&", "")


# --- 5. TRANSPARENT and BGCOLOR --------------------------------------------------------

def transparency():
    q = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "towns", "STYLES": "", "CRS": "EPSG:3794",
         "BBOX": ",".join("%.1f" % v for v in BBOX3794), "WIDTH": str(SIZE), "HEIGHT": str(SIZE), "FORMAT": "image/png"}
    status, ctype, body = get(dict(q, TRANSPARENT="TRUE"))
    t = rgba(body) if status == 200 and is_png(body) else None
    status2, ctype2, body2 = get(dict(q, BGCOLOR="0x00FF00"))
    g = rgba(body2) if status2 == 200 and is_png(body2) else None
    if not check("TRANSPARENT=TRUE (%s %s) and BGCOLOR=0x00FF00 (%s %s): PNGs" % (status, ctype, status2, ctype2),
                 t is not None and g is not None):
        return
    clear = t[..., 3] == 0
    at_towns = [t[int(y), int(x), 3] for x, y in PIX3794]
    check("TRANSPARENT=TRUE: %.0f %% of pixels have alpha 0, every town's pixel is opaque (min alpha %d)"
          % (100 * clear.mean(), min(at_towns)), clear.mean() > 0.5 and min(at_towns) == 255)
    green = (g[..., 0] == 0) & (g[..., 1] == 255) & (g[..., 2] == 0) & (g[..., 3] == 255)
    check("BGCOLOR=0x00FF00: opaque (min alpha %d), pure green wherever TRANSPARENT=TRUE leaves nothing (%d of %d such pixels)"
          % (g[..., 3].min(), (green & clear).sum(), clear.sum()), g[..., 3].min() == 255 and bool(green[clear].all()))
    check("and nowhere at the towns (%d of 24 town pixels green)" % sum(green[int(y), int(x)] for x, y in PIX3794),
          not any(green[int(y), int(x)] for x, y in PIX3794))


# --- 6. Labels across tiles ------------------------------------------------------------

def stitched(crs, x0, y0, res, tiled):
    """A 512 px image of the box from (x0, y0) at res units per pixel, and
    the same box as 2 x 2 images of 256 px put side by side."""
    def box(x, y, n):
        b = (x, y, x + n * res, y + n * res)
        return (b[1], b[0], b[3], b[2]) if northing_first(crs) else b

    def one(x, y, n):
        q = {"VERSION": "1.3.0", "CRS": crs, "WIDTH": str(n), "HEIGHT": str(n),
             "BBOX": ",".join("%.6f" % v for v in box(x, y, n))}
        if tiled:
            q["TILED"] = "TRUE"
        img, what = getmap(q)
        if img is None:
            raise RuntimeError("GetMap %s: %s" % (crs, what))
        return img.astype(int)
    whole = one(x0, y0, 512)
    rows = [np.concatenate([one(x0 + i * 256 * res, y0 + (1 - j) * 256 * res, 256) for i in range(2)], axis=1)
            for j in range(2)]
    return whole, np.concatenate(rows, axis=0)


def tiles_and_labels():
    """Tiles cut from one grid (TILED=TRUE, as a tiling client asks) place
    their labels in one frame: 2 x 2 tiles equal the single image, within
    cairo's compositing noise (at most 0.2 % of pixels off by more than 2
    levels, none by more than 16, as test_render allows for PNG tiles); a
    cut or shifted label differs by far more. Single images (no TILED)
    leave out labels their edge would cut, so their edge rows differ."""
    for crs in ("EPSG:3794", "EPSG:23700", "EPSG:31287"):
        xy = project(crs)
        cx, cy = sum(p[0] for p in xy) / len(xy), sum(p[1] for p in xy) / len(xy)
        for res in (150.0, 60.0):
            whole, parts = stitched(crs, cx - 256 * res, cy - 256 * res, res, True)
            d = np.abs(whole - parts).max(axis=2)
            check("%s at %g m/px: 2 x 2 TILED images equal one (%d px over 2 levels, %d over 16, worst %d)"
                  % (crs, res, (d > 2).sum(), (d > 16).sum(), d.max()),
                  (d > 2).sum() <= d.size // 500 and (d > 16).sum() == 0 and colours(whole) > 50)
    # The vertical seam 10 px right of Murska Sobota, whose label starts
    # beside its circle and runs on over the seam.
    crs, res = "EPSG:3794", 150.0
    mx, my = project(crs)[[t["name"] for t in TOWNS].index("Murska Sobota")]
    for tiled in (True, False):
        whole, parts = stitched(crs, mx - 246 * res, my - 256 * res, res, tiled)
        d = np.abs(whole - parts).max(axis=2)
        near = d[200:312, 246:300]
        check("Murska Sobota's label over a tile edge: %s (%d px near it over 16 levels)"
              % ("drawn on both sides (TILED=TRUE)" if tiled else "left out of single images", (near > 16).sum()),
              (near > 16).sum() == 0 if tiled else (near > 16).sum() > 50)


# --- 7. Static maps in a CRS (/map.png?crs=) --------------------------------------------

def static_maps():
    """/map.png?crs=EPSG:23700&bbox= (x/y order whatever the CRS) is the WMS
    map of the same box apart from its scale bar and attribution plates at
    the bottom; a northing-first CRS takes its bbox easting first here; bad
    CRSs and boxes are 400 JSON."""
    for crs in ("EPSG:23700", "EPSG:31287"):
        xy = project(crs)
        bb = square_bbox(xy)
        w = h = 500
        q = urllib.parse.urlencode({"crs": crs, "bbox": ",".join("%.3f" % v for v in bb),
                                    "width": w, "height": h}, safe=",:")
        status, ctype, body = get(q, "/map.png")
        m = rgba(body) if status == 200 else None
        wb = (bb[1], bb[0], bb[3], bb[2]) if northing_first(crs) else bb
        ref, what = getmap({"VERSION": "1.3.0", "CRS": crs, "WIDTH": str(w), "HEIGHT": str(h),
                            "BBOX": ",".join("%.3f" % v for v in wb)})
        if not check("/map.png?crs=%s: %s %s, a %s PNG" % (crs, status, ctype, None if m is None else m.shape[:2]),
                     m is not None and ref is not None and m.shape[:2] == (h, w)):
            continue
        top = np.abs(m[:h - 40].astype(int) - ref[:h - 40].astype(int)).max(axis=2)
        check("/map.png?crs=%s equals WMS GetMap above its furniture (%d of %d px differ by over 2 levels)"
              % (crs, (top > 2).sum(), top.size), (top > 2).sum() <= top.size // 500 and colours(m) > 50)
        pix = [to_pixel(p, bb, w, h) for p in xy]
        fills = town_fill_colours("default")
        sel = [i for i in range(len(TOWNS)) if isolated(i, pix, 12) and pix[i][1] < h - 40]
        miss = [TOWNS[i]["name"] for i in sel if not fill_at(m, pix[i], fills[i])]
        check("/map.png?crs=%s: the %d isolated towns show their circle colour where cs2cs puts them%s"
              % (crs, len(sel), "; not: " + ", ".join(miss) if miss else ""), len(sel) >= 8 and not miss)
    for q, why in (("crs=EPSG:999999&bbox=1,2,3,4", "unknown CRS"), ("crs=EPSG:3794&bbox=3,2,1,4", "min > max"),
                   ("crs=EPSG:4978&bbox=1,2,3,4", "geocentric CRS"), ("crs=EPSG:3794", "no bbox"),
                   ("crs=EPSG:3794&bbox=-1e300,-1e300,1e300,1e300", "box beyond the CRS")):
        status, ctype, body = get(q, "/map.png")
        ok = status == 400 and ctype.startswith("application/json") and b"description" in body
        check("/map.png?%s (%s): %s %s" % (q, why, status, ctype), ok)


SERVICE = None
for section in (owslib_capabilities, owslib_getmap, owslib_featureinfo, gdal_wms, axis_order, errors, transparency,
                tiles_and_labels, static_maps):
    if SERVICE is None and section.__name__.startswith("owslib_") and section is not owslib_capabilities:
        check("%s: skipped, OWSLib could not read the capabilities" % section.__name__, False)
        continue
    try:
        section()
    except Exception as e:  # a client's error is a failed check, not a crash of the test
        check("%s: %s: %s" % (section.__name__, type(e).__name__, str(e)[:300]), False)
sys.exit(1 if FAILED else 0)
