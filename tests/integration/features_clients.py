"""coopmap's OGC API - Features in depth, against an independent reference:
CQL2 filters (Part 3) in cql2-text and cql2-json, their 400s, sortby,
skipGeometry, the default page size, queryables and schema (OWSLib, JSON
Schema), GDAL's OAPIF driver (Debian's GDAL 3.6 and, when tools/test made
it, GDAL 3.10 in its chroot), and the csv / gpkg / fgb downloads (Python's
csv module, OGR, ogrinfo).

Expected values come from geodata/*.geojson through cql2_reference.py (our
own cql2-text -> cql2-json converter and three-valued evaluator, GEOS via
OGR for the spatial functions), never from coopmap.

  /usr/bin/python3 features_clients.py BASE_URL OUT_DIR COOPMAP_ROOT

GDAL_CHROOT=dir (optional) names a root with another GDAL's ogrinfo (3.10).
Prints ok/not ok lines (and # notes); exits 1 if any check fails."""
import csv
import http.client
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from osgeo import gdal, ogr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cql2_reference as R  # noqa: E402
from compare_layers import flatten, normalise  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()
BASE, OUT, ROOT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
HOSTPORT = urllib.parse.urlsplit(BASE).netloc
COLLS = R.load(ROOT)
FAILED = []
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
FEAT3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"


def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILED.append(what)
    return cond


def note(text):
    print("# " + text)


class Resp:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def header(self, name):
        return self.headers.get(name.lower(), "")

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None


def get(target, timeout=20):
    """GET a target as given (already percent-encoded; a full URL of the
    server or a path)."""
    if target.startswith("http"):
        parts = urllib.parse.urlsplit(target)
        target = parts.path + ("?" + parts.query if parts.query else "")
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(HOSTPORT, timeout=timeout)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, headers, body, time.monotonic() - t0)
    except (OSError, http.client.HTTPException) as e:
        return Resp(0, {}, str(e).encode(), time.monotonic() - t0)
    finally:
        conn.close()


def q(value):
    return urllib.parse.quote(value, safe="")


def items_url(cid, **params):
    """/collections/cid/items with params percent-encoded ('-' spelt '_' in
    the keyword names: filter_lang, filter_crs)."""
    return "/collections/%s/items?%s" % (cid, "&".join("%s=%s" % (k.replace("_", "-") if k in (
        "filter_lang", "filter_crs") else k, q(str(v))) for k, v in params.items()))


def ids_of(doc):
    return [f.get("id") for f in doc.get("features", [])]


def short(text, n=90):
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[:n - 3] + "..."


# --- 0. the ids the server gives, against the data ------------------------------------

def data_order():
    for cid in ("towns", "regions", "countries", "rivers"):
        c = COLLS[cid]
        r = get(items_url(cid, limit=10000))
        d = r.json() or {}
        feats = d.get("features", [])
        same = [f.get("id") for f in feats] == [f["id"] for f in c.features] and all(
            f.get("properties") == g["props"] for f, g in zip(feats, c.features))
        check("%s: the %d features in data order, ids %s, properties equal to %s"
              % (cid, len(c.features), "from " + c.id_field if c.id_field else "0..%d" % (len(c.features) - 1),
                 os.path.basename(c.path)), r.status == 200 and same)


# --- 1. conformance ------------------------------------------------------------------------

def conformance():
    d = get("/conformance").json() or {}
    got = set(d.get("conformsTo", []))
    want = {FEAT3 + x for x in ("filter", "features-filter")} | {CQL2 + x for x in (
        "basic-cql2", "advanced-comparison-operators", "case-insensitive-comparison",
        "accent-insensitive-comparison", "basic-spatial-functions", "basic-spatial-functions-plus",
        "property-property", "cql2-text", "cql2-json")}
    check("/conformance announces Part 3 filter, features-filter and the CQL2 classes of the spec (missing: %s)"
          % sorted(want - got), want <= got)
    not_done = {CQL2 + x for x in ("temporal-functions", "array-functions", "arithmetic", "functions")}
    if CQL2 + "spatial-functions" in got:
        # that class is all of S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS,
        # S_CROSSES and S_CONTAINS: announced, the four the spec leaves out must work too
        codes = [get(items_url("towns", filter="%s(geometry, POINT(16 46))" % fn)).status
                 for fn in ("S_EQUALS", "S_TOUCHES", "S_OVERLAPS", "S_CROSSES")]
        check("spatial-functions is announced, so S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES work: %s" % codes,
              codes == [200] * 4)
    else:
        note("spatial-functions is not announced: the spec lists it with only S_INTERSECTS, S_DISJOINT, "
             "S_WITHIN and S_CONTAINS, while CQL2's class also needs S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES")
    check("/conformance does not announce what is not implemented (temporal, array, arithmetic, functions): %s"
          % sorted(not_done & got), not (not_done & got))


# --- 2. the table: cql2-text and cql2-json against the reference ------------------------------

def table():
    entries = R.entries(COLLS)
    passed = 0
    for e in entries:
        for lang in ("cql2-text", "cql2-json"):
            expr = e["text"] if lang == "cql2-text" else json.dumps(e["json"], ensure_ascii=False,
                                                                   separators=(",", ":"))
            params = {"filter": expr, "filter_lang": lang, "limit": 10000}
            if e["crs_given"]:
                params["filter_crs"] = e["crs"]
            params.update(e["params"])
            url = items_url(e["collection"], **params)
            r = get(url)
            d = r.json() or {}
            got = ids_of(d)
            want = e["expected"]
            ok = (r.status == 200 and sorted(got, key=str) == sorted(want, key=str) and len(set(got)) == len(got)
                  and d.get("numberMatched") == len(want) and d.get("numberReturned") == len(want))
            what = "%s %s%s%s: %d features%s" % (
                e["collection"], lang, " (filter-crs %s)" % e["crs"].rsplit("/", 1)[-1] if "filter_crs" in params else "",
                " & " + "&".join("%s=%s" % kv for kv in e["params"].items()) if e["params"] else "",
                len(want), " (%d-byte request)" % len(url) if e["long"] else "")
            if not ok:
                what += " -- %s: got %s %s (numberMatched %s) for %s, want %s" % (
                    short(e["text"], 120), r.status, got if r.status == 200 else short(r.body.decode("utf-8", "replace")),
                    d.get("numberMatched"), url[:200], want)
            else:
                what += ": " + short(e["text"], 80)
            passed += check(what, ok)
    texts = len(entries)
    note("%d expressions x 2 encodings; %d requests answered as the reference says" % (texts, passed))
    check("the table has at least 60 expressions (%d)" % texts, texts >= 60)


def owslib_filter():
    from owslib.ogcapi.features import Features
    api = Features(BASE)
    want = R.expected_ids(COLLS["towns"], R.text_to_json("population > 5000 AND country <> 'AT'"))
    got = api.collection_items("towns", filter="population > 5000 AND country <> 'AT'", limit=1000)
    check("OWSLib collection_items(filter='population > 5000 AND country <> ''AT''') -> %s" % ids_of(got),
          sorted(ids_of(got)) == sorted(want))
    js = json.dumps(R.text_to_json("CASEI(name) LIKE CASEI('l%') OR population > 10000"))
    want = R.expected_ids(COLLS["towns"], json.loads(js))
    got = api.collection_items("towns", filter=js, **{"filter-lang": "cql2-json", "limit": 1000})
    check("OWSLib collection_items with a cql2-json filter -> %s" % ids_of(got), sorted(ids_of(got)) == sorted(want))


# --- 3. malformed expressions: 400 with a position ------------------------------------------

NEST = 4000  # as deep as fits the server's 8 KiB request target
LONG_BAD = " OR ".join("population = %d" % n for n in range(1000, 1260)) + " ANDD population > 5"
ERRORS = [
    # (lang, expression, kind[, exact position][, token]) kind: syntax (needs "at N"), type, any,
    # or unknown:<property> (names it and the queryables)
    ("text", "(population > 1", "syntax"),
    ("text", "population > 1)", "syntax", 15),
    ("text", "((population > 1) AND (country = 'SI')", "syntax"),
    ("text", "S_INTERSECTS(geometry, POINT(16 46)", "syntax"),
    ("text", "()", "syntax"),
    ("text", "population >> 1", "syntax"),
    ("text", "population == 1", "syntax"),
    ("text", "population ~ 1", "syntax"),
    ("text", "population != 1", "syntax"),
    ("text", "population > 5000 ANDD country = 'SI'", "syntax", 19, "ANDD"),
    ("text", "population > 5000 country", "syntax", 19, "country"),
    ("text", "name = 'Ormož' ANDD population > 1", "syntax", 16, "ANDD"),  # character offsets, not bytes
    ("text", "population > 5000;", "syntax", 18),
    ("text", "population 5000", "syntax", 12),
    ("text", "name = 'Ptuj", "syntax"),
    ("text", "name = 'Ptuj''", "syntax"),
    ("text", "population > 1.2.3", "syntax"),
    ("text", "population > 1e", "syntax"),
    ("text", "population > 12abc", "syntax"),
    ("text", "population BETWEEN 1000 5000", "syntax", 25, "5000"),
    ("text", "population BETWEEN 1000 AND", "syntax"),
    ("text", "population BETWEEN AND 5000", "syntax"),
    ("text", "country IN 'SI'", "syntax", 12),
    ("text", "country IN ()", "syntax"),
    ("text", "country IN ('SI', 'AT'", "syntax"),
    ("text", "country IN ('SI',, 'AT')", "syntax"),
    ("text", "name LIKE", "syntax"),
    ("text", "name IS NUL", "syntax"),
    ("text", "name IS", "syntax"),
    ("text", "population >", "syntax"),
    ("text", "AND population > 1", "syntax", 1),
    ("text", "population > 1 AND", "syntax"),
    ("text", "NOT", "syntax"),
    ("text", "S_INTERSECTS(geometry, POINT(16))", "syntax"),
    ("text", "S_INTERSECTS(geometry, POINT(a b))", "syntax"),
    ("text", "S_INTERSECTS(geometry, POLYGON(16 46, 17 46, 17 47, 16 46))", "syntax"),
    ("text", "S_INTERSECTS(geometry, POLYGON((16 46, 17 46, 17 47, 16 46))", "syntax"),
    ("text", "S_INTERSECTS(geometry, BBOX(16, 46, 17))", "any"),
    ("text", "S_INTERSECTS(geometry, BBOX(16, 46, 17, x))", "syntax"),
    ("text", "FOO(name) = 'x'", "any"),
    ("text", "UPPER(name) = 'PTUJ'", "any"),
    ("text", "S_CROSSES(geometry, LINESTRING(16 46, 17 47))", "any"),
    ("text", "S_TOUCHES(geometry, POINT(16 46))", "any"),
    ("text", "CASEI(name, country) = CASEI('x')", "any"),
    ("text", "CASEI() = 'x'", "any"),
    ("text", "S_INTERSECTS(geometry)", "any"),
    ("text", "S_INTERSECTS(geometry, POINT(16 46), POINT(17 46))", "any"),
    ("text", "population = 'many'", "type"),
    ("text", "name > 5", "type"),
    ("text", "population BETWEEN 'a' AND 'b'", "type"),
    ("text", "country IN ('SI', 5)", "type"),
    ("text", "population = name", "type"),
    ("text", "S_INTERSECTS(name, POINT(16 46))", "any"),
    ("text", "nosuchfield = 1", "unknown:nosuchfield"),
    ("text", "\"no such\" = 'x'", "unknown:no such"),
    ("text", "population > 1 AND elevation < 300", "unknown:elevation"),
    ("text", "S_INTERSECTS(geom, POINT(16 46))", "any"),
    ("text", "(" * NEST + "population > 1" + ")" * NEST, "any"),
    ("text", LONG_BAD, "syntax", LONG_BAD.index(" ANDD") + 2, "ANDD"),
    # bytes that are not text: already percent-encoded, sent as they are
    ("raw", "name%20%3D%20'Pt%00uj'", "any"),
    ("raw", "population%20%3E%201%00", "any"),
    ("raw", "name%20%3D%20'%FF'", "any"),
    ("raw", "name%20%3D%20'%C3'", "any"),
    ("raw", "%FF%FE", "any"),
    # cql2-json
    ("json", "not json", "any"),
    ("json", '{"op":"=","args":[{"property":"name"},"Ptuj"]', "any"),
    ("json", '{"op":"==","args":[{"property":"name"},"Ptuj"]}', "any"),
    ("json", '{"op":"and","args":{"a":1}}', "any"),
    ("json", '{"op":"and","args":"x"}', "any"),
    ("json", '{"op":"=","args":[{"property":"name"}]}', "any"),
    ("json", '{"op":"=","args":[{"property":"name"},"a","b"]}', "any"),
    ("json", '{"args":[{"property":"name"},"Ptuj"]}', "any"),
    ("json", '{"op":5,"args":[1,2]}', "any"),
    ("json", '[{"property":"name"},"Ptuj"]', "any"),
    ("json", "42", "any"),
    ("json", '"name"', "any"),
    ("json", '{"property":"name"}', "any"),
    ("json", '{"op":"not","args":[{"property":"name"}]}', "any"),
    ("json", '{"op":"like","args":[{"property":"name"},5]}', "type"),
    ("json", '{"op":"=","args":[{"property":"population"},"x"]}', "type"),
    ("json", '{"op":"=","args":[{"property":"nosuch"},1]}', "unknown:nosuch"),
    ("json", '{"op":"in","args":[{"property":"country"},"SI"]}', "any"),
    ("json", '{"op":"between","args":[{"property":"population"},1]}', "any"),
    ("json", '{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[16]}]}', "any"),
    ("json", '{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Pointy","coordinates":[16,46]}]}', "any"),
    ("json", '{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[16,46,17]}]}', "any"),
    ("json", '{"op":"s_crosses","args":[{"property":"geometry"},{"type":"Point","coordinates":[16,46]}]}', "any"),
    ("json", '{"op":"foo","args":[]}', "any"),
    ("json", '{"op":"in","args":[{"property":"country"},%s"SI"%s]}' % ("[" * 1300, "]" * 1300), "any"),
]


def error_target(lang, expr):
    if lang == "raw":
        return "/collections/towns/items?filter=" + expr
    if lang == "text" and expr.startswith("(" * 100):
        # parentheses unencoded (they may be), so that the nesting fits 8 KiB
        return "/collections/towns/items?filter=" + urllib.parse.quote(expr, safe="()")
    return items_url("towns", filter=expr, filter_lang="cql2-json" if lang == "json" else "cql2-text")


def expect_400(what, target, expr_len=None, kind="any", pos=None, token=None):
    r = get(target)
    d = r.json() if r.status else None
    desc = d.get("description", "") if isinstance(d, dict) else ""
    ok = r.status == 400 and isinstance(d, dict) and d.get("code") == "InvalidParameterValue" and bool(desc) \
        and r.seconds < 2
    m = re.search(r"\bat (\d+)\b", desc)
    if kind == "syntax":  # the position, and the token (or the end) it is at
        ok = ok and m is not None and 1 <= int(m.group(1)) <= expr_len + 1 and ("near '" in desc or "end" in desc)
    elif m and expr_len is not None:
        ok = ok and 1 <= int(m.group(1)) <= expr_len + 1
    if pos is not None:
        ok = ok and m is not None and int(m.group(1)) == pos
    if token is not None:
        ok = ok and ("'%s'" % token) in desc
    if kind.startswith("unknown:"):
        ok = ok and ("'%s'" % kind.split(":", 1)[1] in desc or '"%s"' % kind.split(":", 1)[1] in desc) \
            and "queryables" in desc
    detail = "%s %.2fs: %s" % (r.status, r.seconds, short(desc or r.body.decode("utf-8", "replace"), 110))
    return check("%s -> %s" % (what, detail), ok)


def errors():
    for e in ERRORS:
        lang, expr, kind = e[:3]
        pos = e[3] if len(e) > 3 else None
        token = e[4] if len(e) > 4 else None
        length = len(urllib.parse.unquote_to_bytes(expr)) if lang == "raw" else len(expr)
        label = {"text": "cql2-text", "json": "cql2-json", "raw": "bytes"}[lang]
        shown = expr if len(expr) < 70 else "%s... (%d chars)" % (expr[:40], len(expr))
        want = " [%s%s%s]" % (kind, ", at %d" % pos if pos else "", ", near '%s'" % token if token else "")
        expect_400("400 for %s %s%s" % (label, shown, want), error_target(lang, expr), length, kind, pos, token)
    # other parameters of filtering
    for params, word in [({"filter": "population > 1", "filter_lang": "cql3-text"}, "filter-lang"),
                         ({"filter": "S_INTERSECTS(geometry, POINT(16 46))", "filter_crs": "EPSG:31256"}, "filter-crs"),
                         ({"filter": "S_INTERSECTS(geometry, POINT(16 46))", "filter_crs": "nonsense"}, "filter-crs"),
                         ({"sortby": "elevation"}, "elevation"),
                         ({"sortby": "-"}, "sortby"),
                         ({"skipGeometry": "maybe"}, "skipGeometry"),
                         ({"skipgeom": "true"}, "skipgeom")]:
        r = get(items_url("towns", **params))
        d = r.json() or {}
        check("400 for %s, naming %s: %s %s" % (params, word, r.status, short(d.get("description", ""), 100)),
              r.status == 400 and d.get("code") == "InvalidParameterValue" and word in d.get("description", ""))
    # filter-lang=cql-text, the draft's name, which GDAL 3.6 sends: taken as cql2-text
    flt = "population > 5000 AND name NOT LIKE 'L%'"
    r = get(items_url("towns", filter=flt, filter_lang="cql-text"))
    want = R.expected_ids(COLLS["towns"], R.text_to_json(flt))
    check("filter-lang=cql-text (the draft's name, GDAL 3.6's) is read as cql2-text: %s" % want,
          r.status == 200 and sorted(ids_of(r.json() or {})) == want)
    # Longer than the request target limit (8 KiB): refused at once, the server lives on.
    for what, expr in [("10000 nested parentheses", "(" * 10000 + "population > 1" + ")" * 10000),
                       ("a 100 KB expression", " OR ".join("population = %d" % n for n in range(10000, 14500)))]:
        # (past 64 KiB of request head libmicrohttpd itself answers 414, in HTML)
        r = get(items_url("towns", filter=expr))
        check("%s (%d bytes in the URL): refused in %.2fs with %s (400, or 414 for the server's 8 KiB target limit)"
              % (what, len(items_url("towns", filter=expr)), r.seconds, r.status),
              r.status in (400, 414) and r.seconds < 2 and (r.status == 414 or isinstance(r.json(), dict)))
    r = get("/health")
    check("/health after the malformed filters: %s" % r.status, r.status == 200)


# --- 4. sortby ------------------------------------------------------------------------------------

def walk(url, limit_pages=50):
    """The features of every page, following next links; the next links."""
    feats, links, first = [], [], None
    while url and len(links) < limit_pages:
        d = get(url).json() or {}
        first = first or d
        feats += d.get("features", [])
        url = next((l["href"] for l in d.get("links", []) if l.get("rel") == "next"), None)
        if url:
            links.append(url)
    return feats, links, first


def sorting():
    towns = COLLS["towns"]
    all_ids = [f["id"] for f in towns.features]
    cases = [("%2Bname", ["+name"]), ("name", ["name"]), ("-population", ["-population"]),
             ("+name", ["name"]),  # a literal + decodes to a space: ' name'
             ("country,-population", ["country", "-population"]),
             ("-country,%2Bname", ["-country", "+name"]),
             ("nuts3,-name", ["nuts3", "-name"])]
    for raw, keys in cases:
        r = get("/collections/towns/items?limit=10000&sortby=" + raw)
        got = ids_of(r.json() or {})
        want = R.sort_ids(towns, all_ids, keys)
        check("sortby=%s: %s" % (raw, "the stable sort of the data" if got == want else "%s %s, want %s" % (
            r.status, got, want)), r.status == 200 and got == want)
    # with a filter, and in pages of 5 following next
    for lang, expr in [("cql2-text", "population > 2000 AND country <> 'AT'"),
                       ("cql2-json", json.dumps(R.text_to_json("population > 2000 OR name LIKE 'F%'")))]:
        flt = R.text_to_json(expr) if lang == "cql2-text" else json.loads(expr)
        want = R.sort_ids(towns, R.expected_ids(towns, flt), ["country", "-population"])
        full = get(items_url("towns", filter=expr, filter_lang=lang, sortby="country,-population", limit=10000)).json() or {}
        check("%s filter sorted by country,-population: %d towns in order" % (lang, len(want)), ids_of(full) == want)
        feats, links, first = walk(items_url("towns", filter=expr, filter_lang=lang, sortby="country,-population", limit=5))
        got = [f["id"] for f in feats]
        check("%s: walking next with limit=5: %d pages concatenate to the sorted list (%s)"
              % (lang, len(links) + 1, "equal" if got == want else "%s vs %s" % (got, want)),
              got == want and len(links) == (len(want) - 1) // 5)
        carry = [urllib.parse.parse_qs(urllib.parse.urlsplit(u).query) for u in links]
        check("%s: every next link carries sortby, filter and filter-lang unchanged" % lang,
              bool(carry) and all(c.get("sortby") == ["country,-population"] and c.get("filter") == [expr]
                                  and c.get("filter-lang", ["cql2-text"]) == [lang] for c in carry))
        check("%s: numberMatched %s on the first page" % (lang, first.get("numberMatched")),
              first.get("numberMatched") == len(want))
    # sortby with bbox and the equality parameter
    r = get("/collections/towns/items?country=SI&bbox=15.8,46.3,16.5,46.8&sortby=-population&limit=3")
    sel = R.expected_ids(towns, True, params={"country": "SI", "bbox": "15.8,46.3,16.5,46.8"})
    want = R.sort_ids(towns, sel, ["-population"])[:3]
    check("country=SI&bbox=...&sortby=-population&limit=3: the 3 largest (%s)" % want, ids_of(r.json() or {}) == want)


# --- 5. skipGeometry, unknown parameters, the default page ---------------------------------------

def skip_geometry():
    towns = COLLS["towns"]
    d = get("/collections/towns/items?limit=10000&skipGeometry=true").json() or {}
    feats = d.get("features", [])
    check("skipGeometry=true: all 24 towns, every one with \"geometry\": null and its properties",
          len(feats) == 24 and all("geometry" in f and f["geometry"] is None for f in feats)
          and all(f["properties"] == g["props"] for f, g in zip(feats, towns.features)))
    d = get("/collections/towns/items?limit=10000&skipGeometry=false").json() or {}
    feats = d.get("features", [])
    check("skipGeometry=false: the points of the data",
          len(feats) == 24 and all(f.get("geometry") and f["geometry"]["type"] == "Point" and max(
              abs(a - b) for a, b in zip(f["geometry"]["coordinates"], g["geojson"]["coordinates"])) < 1e-7
              for f, g in zip(feats, towns.features)))
    flt = "S_INTERSECTS(geometry, BBOX(15.9, 46.5, 16.3, 46.7))"
    d = get(items_url("towns", filter=flt, skipGeometry="true", limit=100)).json() or {}
    want = R.expected_ids(towns, R.text_to_json(flt))
    check("a spatial filter with skipGeometry=true still selects by geometry (%s), none returned" % want,
          sorted(ids_of(d)) == want and all(f.get("geometry", 1) is None for f in d.get("features", [])))
    d = get("/collections/regions/items?skipGeometry=true&properties=name").json() or {}
    check("skipGeometry=true&properties=name on regions: 40, geometry null, only name",
          len(d.get("features", [])) == 40 and all(f["geometry"] is None and list(f["properties"]) == ["name"]
                                                   for f in d["features"]))
    for cid in ("towns", "regions", "rivers"):
        n = len(COLLS[cid].features)
        r = get("/collections/%s/items" % cid)
        d = r.json() or {}
        check("/collections/%s/items without limit: all %d in one page, no next link" % (cid, n),
              d.get("numberReturned") == n and d.get("numberMatched") == n and len(d.get("features", [])) == n
              and not any(l.get("rel") == "next" for l in d.get("links", [])))


# --- 6. queryables and schema ----------------------------------------------------------------------

GEOM_FORMAT = {"Point": "geometry-point", "LineString": "geometry-linestring", "Polygon": "geometry-polygon",
               "MultiPolygon": "geometry-multipolygon"}


def queryables_and_schema():
    from owslib.ogcapi.features import Features
    api = Features(BASE)
    for cid in ("towns", "regions", "countries", "rivers"):
        c = COLLS[cid]
        kinds = {f["geojson"]["type"] for f in c.features}
        fmt = GEOM_FORMAT[kinds.pop()] if len(kinds) == 1 else "geometry-any"
        try:
            qd = api.collection_queryables(cid)
        except Exception as e:  # OWSLib raises RuntimeError on a non-200
            qd = {}
            note("OWSLib: %s" % short(str(e), 200))
        props = qd.get("properties", {})
        wrong = [k for k in c.fields if k not in props or props[k].get("title") != k or (
            c.json_type(k) is not None and props[k].get("type") != c.json_type(k))]
        check("OWSLib collection_queryables('%s'): %d attributes with their JSON types and titles (wrong: %s)"
              % (cid, len(c.fields), wrong), bool(props) and not wrong)
        check("%s queryables: geometry has x-ogc-role primary-geometry and format %s; no id; nothing else"
              % (cid, fmt), props.get("geometry", {}).get("x-ogc-role") == "primary-geometry"
              and props.get("geometry", {}).get("format") == fmt and set(props) == set(c.fields) | {"geometry"})
        check("%s queryables: JSON Schema 2020-12 object, additionalProperties false, $id is its URL" % cid,
              qd.get("$schema") == "https://json-schema.org/draft/2020-12/schema" and qd.get("type") == "object"
              and qd.get("additionalProperties") is False
              and str(qd.get("$id", "")).rstrip("/").endswith("/collections/%s/queryables" % cid) and "title" in qd)
        all_null = [k for k in c.fields if c.json_type(k) is None]
        if all_null:
            note("%s: %s null in every feature, so their type is not checked (%s)"
                 % (cid, all_null, [props.get(k, {}).get("type") for k in all_null]))
        r = get("/collections/%s/queryables" % cid)
        check("%s queryables Content-Type: %s" % (cid, r.header("Content-Type")),
              r.header("Content-Type").startswith("application/schema+json"))
        r = get("/collections/%s/schema" % cid)
        s = r.json() or {}
        sp = s.get("properties", {})
        id_roles = sorted(k for k, v in sp.items() if v.get("x-ogc-role") == "id")
        check("/collections/%s/schema: %s, JSON Schema 2020-12, every attribute typed, geometry primary-geometry, "
              "x-ogc-role id on %s (got %s)" % (cid, r.header("Content-Type"), c.id_field, id_roles),
              r.status == 200 and r.header("Content-Type").startswith("application/schema+json")
              and s.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
              and set(c.fields) <= set(sp) and sp.get("geometry", {}).get("x-ogc-role") == "primary-geometry"
              and all(c.json_type(k) is None or sp[k].get("type") == c.json_type(k) for k in c.fields)
              and id_roles == ([c.id_field] if c.id_field else []))
        links = (get("/collections/%s" % cid).json() or {}).get("links", [])
        desc = [l for l in links if l.get("rel") == "describedby"]
        qlinks = [l for l in links if l.get("rel") == "http://www.opengis.net/def/rel/ogc/1.0/queryables"]
        check("/collections/%s links describedby (application/schema+json) to its schema and the queryables" % cid,
              any(l.get("type") == "application/schema+json" and l.get("href", "").split("?")[0].endswith(
                  "/collections/%s/schema" % cid) for l in desc)
              and any(l.get("href", "").split("?")[0].endswith("/collections/%s/queryables" % cid) for l in qlinks))


# --- 7. GDAL's OAPIF driver ------------------------------------------------------------------------

def ogrinfo(args, chroot=None, env_extra=None):
    cmd = (["chroot", chroot] if chroot else []) + ["ogrinfo"] + args
    env = dict(os.environ, CPL_DEBUG="ON", GDAL_HTTP_TIMEOUT="20", **(env_extra or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def ogr_names(out):
    return [m.group(1) for m in re.finditer(r"^  name \(String\) = (.*)$", out, re.M)]


def gdal_oapif():
    towns = COLLS["towns"]
    url = "OAPIF:%s/collections/towns" % BASE
    rc, out, err = ogrinfo(["-ro", "-al", "-so", url])
    fields_ok = all(re.search(r"^%s: " % re.escape(k), out, re.M) for k in towns.fields)
    check("ogrinfo -ro -al -so %s: layer towns, 24 features, all %d fields (rc %d)" % (url, len(towns.fields), rc),
          rc == 0 and re.search(r"^Layer name: towns$", out, re.M) is not None
          and "Feature Count: 24" in out and fields_ok)
    name_of = {f["id"]: f["props"]["name"] for f in towns.features}
    versions = [("Debian's GDAL %s" % gdal.__version__, None)]
    chroot = os.environ.get("GDAL_CHROOT")
    if chroot:
        v = subprocess.run(["chroot", chroot, "ogrinfo", "--version"], capture_output=True, text=True).stdout.strip()
        versions.append(("%s (in %s)" % (v.split(",")[0], chroot), chroot))
    for label, root in versions:
        for where in ["population > 5000", "country IN ('SI', 'HU') AND population BETWEEN 2000 AND 5000",
                      "name LIKE 'L%' OR population >= 12000"]:
            rc, out, err = ogrinfo(["-ro", "-al", "-q", url, "-where", where], chroot=root)
            want = sorted(name_of[i] for i in R.expected_ids(towns, R.text_to_json(where)))
            got = sorted(ogr_names(out))
            fetched = re.findall(r"HTTP: Fetch\((\S+)\)", err)
            sent = [u for u in fetched if "filter=" in u]
            check("%s: ogrinfo -where \"%s\": %d towns as the reference says" % (label, where, len(want)),
                  rc == 0 and got == want)
            # GDAL 3.7 and later speak CQL2 to servers whose /conformance announces Part 3; GDAL 3.6
            # sends the draft's filter-lang=cql-text when /api lists it (coopmap accepts it).
            check("%s sent the -where to the server as filter= (%s)" % (
                label, short(urllib.parse.unquote(sent[0]).split("?", 1)[-1], 160) if sent else
                "it did not: %s" % fetched), bool(sent))


# --- 8. downloads -----------------------------------------------------------------------------------

def download(target, path):
    r = get(target, timeout=30)
    with open(path, "wb") as f:
        f.write(r.body)
    return r


def check_download_headers(r, cid, ext, ctype):
    cd = r.header("Content-Disposition")
    check("f=%s on %s: %s, Content-Type %s, Content-Disposition %s" % (ext, cid, r.status, r.header("Content-Type"), cd),
          r.status == 200 and r.header("Content-Type").replace(" ", "") == ctype.replace(" ", "")
          and re.fullmatch(r'attachment;\s*filename="%s\.%s"' % (cid, ext), cd) is not None)


def geometry_equal(a, b, tol=1e-7):
    ka, ca = normalise(a)
    kb, cb = normalise(b)
    pa, pb = list(flatten(ca)), list(flatten(cb))
    return ka == kb and len(pa) == len(pb) and all(
        abs(x[0] - y[0]) <= tol and abs(x[1] - y[1]) <= tol for x, y in zip(pa, pb))


def signature(path, layer, fields):
    """The features of a layer as a sorted list of (attributes, vertices
    rounded to 1e-6 degrees): equal for the same features in any order."""
    ds = ogr.Open(path)
    out = []
    for f in ds.GetLayerByName(layer):
        attrs = tuple((k, f.GetField(k) if f.GetFieldIndex(k) >= 0 and f.IsFieldSetAndNotNull(k) else None)
                      for k in fields)
        kind, coords = normalise(f.GetGeometryRef())
        out.append(repr((attrs, kind, [(round(p[0], 6), round(p[1], 6)) for p in flatten(coords)])))
    return sorted(out)


def csv_text(v):
    return "" if v is None else ("true" if v is True else "false" if v is False else str(v))


def downloads():
    for cid in ("towns", "regions"):
        c = COLLS[cid]
        point = cid == "towns"
        path = os.path.join(OUT, "%s.csv" % cid)
        r = download("/collections/%s/items?f=csv" % cid, path)
        check_download_headers(r, cid, "csv", "text/csv; charset=utf-8")
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8", "replace"), newline="")))
        header = ["id"] + c.fields + (["lon", "lat"] if point else []) + ["wkt"]
        check("%s.csv header is %s" % (cid, ",".join(header) if len(header) < 12 else "id,<%d fields>,%swkt" % (
            len(c.fields), "lon,lat," if point else "")), bool(rows) and rows[0] == header)
        body = rows[1:]
        bad = []
        for row, f in zip(body, c.features):
            rec = dict(zip(rows[0], row))
            if rec.get("id") != str(f["id"]) or any(rec.get(k) != csv_text(f["props"].get(k)) for k in c.fields):
                bad.append(f["id"])
                continue
            try:
                g = ogr.CreateGeometryFromWkt(rec["wkt"])
            except Exception:
                bad.append(f["id"])
                continue
            if not geometry_equal(g, f["geom"]) or (point and (abs(float(rec["lon"]) - f["geom"].GetX()) > 1e-7 or
                                                              abs(float(rec["lat"]) - f["geom"].GetY()) > 1e-7)):
                bad.append(f["id"])
        check("%s.csv: %d rows (Python's csv module), values, lon/lat and WKT equal to the GeoJSON (wrong: %s)"
              % (cid, len(c.features), bad[:5]), len(body) == len(c.features) and not bad)
        rc, out, err = ogrinfo(["-ro", "-al", "-so", "CSV:" + path])
        check("ogrinfo CSV:%s.csv: %d features (rc %d)" % (cid, len(c.features), rc),
              rc == 0 and "Feature Count: %d" % len(c.features) in out)
    towns = COLLS["towns"]
    flt = "country = 'SI' AND population > 3000"
    want = R.expected_ids(towns, R.text_to_json(flt))
    r = get(items_url("towns", f="csv", filter=flt, sortby="-population"))
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8", "replace"), newline="")))
    check("f=csv&filter=%s&sortby=-population: the rows %s in order" % (flt, R.sort_ids(towns, want, ["-population"])),
          r.status == 200 and [x[0] for x in rows[1:]] == [str(i) for i in R.sort_ids(towns, want, ["-population"])])
    r = get(items_url("towns", f="csv", properties="name,country", bbox="15.8,46.3,16.5,46.8"))
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8", "replace"), newline="")))
    want = R.expected_ids(towns, True, params={"bbox": "15.8,46.3,16.5,46.8"})
    check("f=csv&properties=name,country&bbox=...: header id,name,country,lon,lat,wkt, rows %s" % want,
          r.status == 200 and rows and rows[0] == ["id", "name", "country", "lon", "lat", "wkt"]
          and [x[0] for x in rows[1:]] == [str(i) for i in want])
    r = get(items_url("towns", f="csv", limit=5))
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8", "replace"), newline="")))
    check("f=csv&limit=5: 5 rows", r.status == 200 and len(rows) == 6)
    # GeoPackage and FlatGeobuf, compared feature by feature with the GeoJSON
    for ext, ctype, driver in [("gpkg", "application/geopackage+sqlite3", "GPKG"),
                               ("fgb", "application/flatgeobuf", "FlatGeobuf")]:
        for cid in ("towns", "regions", "rivers"):
            c = COLLS[cid]
            path = os.path.join(OUT, "%s.%s" % (cid, ext))
            r = download("/collections/%s/items?f=%s" % (cid, ext), path)
            check_download_headers(r, cid, ext, ctype)
            try:
                ds = ogr.Open(path)
                names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
                lyr = ds.GetLayer(0)
                srs = lyr.GetSpatialRef()
                info = (ds.GetDriver().GetName(), names, lyr.GetFeatureCount(),
                        srs.GetAuthorityCode(None) if srs else None)
            except Exception as e:
                info = ("unreadable: %s" % e, [], 0, None)
            check("%s.%s opens with OGR as %s: one layer %s, %d features, EPSG:%s"
                  % (cid, ext, info[0], info[1], info[2], info[3]),
                  info == (driver, [cid], len(c.features), "4326"))
            p = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "compare_layers.py"), c.path, c.ogr_layer,
                                path, cid], capture_output=True, text=True)
            check("%s.%s holds the features of %s (attributes, vertices to 1e-6 deg), in any order"
                  % (cid, ext, os.path.basename(c.path)), signature(c.path, c.ogr_layer, c.fields) ==
                  signature(path, cid, c.fields))
            check("%s.%s equals %s feature by feature, in data order (attributes, vertices to 1e-7 deg): %s"
                  % (cid, ext, os.path.basename(c.path), short(p.stdout.strip().split("\n")[-1], 120)),
                  p.returncode == 0)
        path = os.path.join(OUT, "sorted.%s" % ext)
        download("/collections/towns/items?f=%s&sortby=-population" % ext, path)
        try:
            ds = ogr.Open(path)
            got = [f.GetField("population") for f in ds.GetLayer(0)]
        except Exception:
            got = None
        want = [towns.by_id[i]["props"]["population"] for i in R.sort_ids(towns, [f["id"] for f in towns.features],
                                                                          ["-population"])]
        check("f=%s&sortby=-population keeps the order: %s" % (ext, got if got != want else "descending"), got == want)
        rc, out, err = ogrinfo(["-ro", "-so", os.path.join(OUT, "towns.%s" % ext), "towns"])
        check("ogrinfo towns.%s: Feature Count: 24 (rc %d)" % (ext, rc), rc == 0 and "Feature Count: 24" in out)
        flt = "S_INTERSECTS(geometry, BBOX(15.9, 46.3, 16.5, 46.8)) AND population > 2500"
        path = os.path.join(OUT, "filtered.%s" % ext)
        download(items_url("towns", f=ext, filter=flt), path)
        want = sorted(towns.by_id[i]["props"]["name"] for i in R.expected_ids(towns, R.text_to_json(flt)))
        try:
            ds = ogr.Open(path)
            got = sorted(f.GetField("name") for f in ds.GetLayer(0))
        except Exception:
            got = None
        check("f=%s with a filter: %s" % (ext, want), got == want)
    # the collection and landing pages link the downloads
    for page in ("/collections/towns", "/"):
        links = [l for l in (get(page).json() or {}).get("links", []) if l.get("rel") == "enclosure"]
        types = sorted({l.get("type") for l in links})
        check("%s links rel enclosure with text/csv, application/geopackage+sqlite3, application/flatgeobuf (%s)"
              % (page, types), {"text/csv", "application/geopackage+sqlite3", "application/flatgeobuf"} <= {
                  (t or "").split(";")[0] for t in types})
        if page == "/collections/towns":
            fine = []
            for l in links:
                r = get(l["href"], timeout=30)
                fine.append(r.status == 200 and r.header("Content-Type").split(";")[0] == l["type"].split(";")[0])
            check("the towns' enclosure links download with their types", bool(fine) and all(fine))


# --- 9. OpenAPI ---------------------------------------------------------------------------------------

def openapi():
    d = get("/api").json() or {}
    paths = d.get("paths", {})
    comps = d.get("components", {}).get("parameters", {})

    def params_of(path):
        out = {}
        for p in paths.get(path, {}).get("get", {}).get("parameters", []):
            if "$ref" in p:
                p = comps.get(p["$ref"].rsplit("/", 1)[-1], {})
            out[p.get("name")] = p
        return out

    ps = params_of("/collections/towns/items")
    missing = [n for n in ("filter", "filter-lang", "filter-crs", "sortby", "skipGeometry") if n not in ps]
    check("/api documents filter, filter-lang, filter-crs, sortby, skipGeometry on the towns' items (missing %s)"
          % missing, not missing)
    langs = (ps.get("filter-lang", {}).get("schema", {}) or {}).get("enum", [])
    check("/api: filter-lang offers cql2-text and cql2-json (%s)" % langs, {"cql2-text", "cql2-json"} <= set(langs))
    fs = (ps.get("f", {}).get("schema", {}) or {}).get("enum", [])
    check("/api: f on the items offers csv, gpkg and fgb (%s)" % fs, {"csv", "gpkg", "fgb"} <= set(fs))
    for what in ("queryables", "schema"):
        check("/api has a path for %s" % what, any(p.endswith("/" + what) and p.startswith("/collections/")
                                                   for p in paths))


def main():
    os.makedirs(OUT, exist_ok=True)
    for part in (data_order, conformance, table, owslib_filter, errors, sorting, skip_geometry,
                 queryables_and_schema, gdal_oapif, downloads, openapi):
        try:
            part()
        except Exception as e:  # one broken part must not hide the others
            import traceback
            traceback.print_exc(file=sys.stdout)
            check("%s ran to its end (%s: %s)" % (part.__name__, type(e).__name__, short(str(e), 150)), False)
    print("%d failed" % len(FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
