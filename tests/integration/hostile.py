#!/usr/bin/env python3
"""Hostile requests against a running coopmap, over raw sockets.

    hostile.py generate PORT   # >= 2,000 generated requests (seed: $COOPMAP_HOSTILE_SEED)
    hostile.py probes PORT     # the exact answers to the issue's probes

Standard library only. Every generated request is sent on its own
connection with a 5 s timeout and must be answered: a status line, then
either a 4xx with a JSON {"code", "description"} body or, when the request
is in fact valid, the endpoint's 2xx/304. Never a 5xx, never silence, never
a connection closed without a status line.

The exception is what libmicrohttpd itself refuses before coopmap sees it:
bytes that are not HTTP, request lines it cannot split, foreign HTTP
versions, an oversize head beyond its connection memory pool, a head that
never ends. Those cases are classified up front (kind "mhd"), counted
apart, and may be answered by libmicrohttpd's own HTML 4xx/505 or by a
close; they must stay a small minority and the server must stay healthy.

Exit status 0 when every request was answered as required.
"""
import collections
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
TIMEOUT = 5.0
STATUS_LINE = re.compile(rb"^HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?$")

# --- talking to the server ---------------------------------------------------


class Answer:
    """What came back: status (None if no status line), headers (lower-case
    names -> list of values), body, error ('timeout', 'closed', 'reset',
    'garbage', or None) and the time it took."""

    def __init__(self):
        self.status = None
        self.reason = ""
        self.headers = {}
        self.body = b""
        self.error = None
        self.raw = b""
        self.elapsed = 0.0

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def describe(self):
        if self.status is None:
            return "%s after %.2fs, got %r" % (self.error, self.elapsed, self.raw[:200])
        return "%d %s (%s) after %.2fs: %r" % (self.status, self.reason,
                                              self.header("content-type"), self.elapsed,
                                              self.body[:200])


def _recv_until(sock, buf, pred, deadline):
    while not pred(buf):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            return buf, True
        buf += chunk
        if len(buf) > 64 << 20:
            raise ValueError("answer too large")
    return buf, False


def exchange(port, data, method=b"GET", half_close=False, timeout=TIMEOUT, src=None):
    """Sends data on a new connection and reads one response (skipping 1xx).
    half_close: shut the sending side after the bytes (for heads that never
    end, so only the server's own deadline can close them)."""
    a = Answer()
    t0 = time.monotonic()
    deadline = t0 + timeout
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        if src:
            sock.bind((src, 0))
        sock.connect((HOST, port))
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (and close) before it has read everything
        buf = b""
        while True:
            buf, eof = _recv_until(sock, buf, lambda b: b"\r\n\r\n" in b, deadline)
            if b"\r\n\r\n" not in buf:
                a.raw = buf
                a.error = "closed" if not buf else "garbage"
                return a
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            m = STATUS_LINE.match(lines[0])
            if not m:
                a.raw = head
                a.error = "garbage"
                return a
            status = int(m.group(1))
            if 100 <= status < 200:
                continue  # 100 Continue: the real answer follows
            a.status = status
            parts = lines[0].split(b" ", 2)
            a.reason = parts[2].decode("latin1") if len(parts) > 2 else ""
            for line in lines[1:]:
                if b":" in line:
                    k, v = line.split(b":", 1)
                    a.headers.setdefault(k.decode("latin1").strip().lower(), []).append(
                        v.decode("latin1").strip())
            break
        a.raw = head
        length = a.header("content-length")
        if method == b"HEAD" or status in (204, 304):
            a.body = b""
        elif length is not None and length.isdigit():
            n = int(length)
            buf, eof = _recv_until(sock, buf, lambda b: len(b) >= n, deadline)
            if len(buf) < n:
                a.error = "short body"
            a.body = buf[:n]
        else:
            buf, eof = _recv_until(sock, buf, lambda b: False, deadline)
            a.body = buf
    except socket.timeout:
        a.error = "timeout"
    except ConnectionResetError:
        a.error = a.error or "reset"
    except OSError as e:
        a.error = "error: %s" % e
    finally:
        a.elapsed = time.monotonic() - t0
        sock.close()
    return a


def request(target, method="GET", headers=None, version="HTTP/1.1", body=b"", host="127.0.0.1"):
    """Builds request bytes; target may be bytes (sent as is)."""
    if isinstance(target, str):
        target = target.encode("latin1")
    out = method.encode("latin1") + b" " + target + b" " + version.encode() + b"\r\n"
    if host is not None:
        out += b"Host: " + host.encode("latin1") + b"\r\n"
    for k, v in headers or []:
        out += (k if isinstance(k, bytes) else k.encode("latin1")) + b": " + \
            (v if isinstance(v, bytes) else v.encode("latin1")) + b"\r\n"
    out += b"Connection: close\r\n\r\n"
    return out + body


def health(port, timeout=2.0):
    a = exchange(port, request("/health"), timeout=timeout)
    return a.status == 200 and a.error is None, a


def is_json_error(a):
    """A 4xx answer in the OGC API exception form."""
    ctype = (a.header("content-type") or "").split(";")[0].strip()
    if ctype != "application/json":
        return "Content-Type %r, not application/json" % a.header("content-type")
    try:
        d = json.loads(a.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        return "body is not JSON (%s)" % e
    if not isinstance(d, dict) or not isinstance(d.get("code"), str) or \
            not isinstance(d.get("description"), str):
        return "JSON body lacks code/description: %r" % (a.body[:200],)
    return None


# --- injected text that HTML pages must never echo raw ----------------------

MARK = "coopmapXSS"
INJECTIONS = [  # (payload, what must not appear in an HTML body)
    ("<script>%s()</script>" % MARK, "<script>%s" % MARK),
    ("\"><svg onload=%s()>" % MARK, "<svg onload=%s" % MARK),
    ("'><b>%s</b>" % MARK, "<b>%s" % MARK),
    ("\" onmouseover=\"%s()" % MARK, "\" onmouseover=\"%s" % MARK),
    ("</title><script>%s</script>" % MARK, "<script>%s" % MARK),
]


def html_echo(a):
    """The raw injection a text/html body echoes, or None."""
    ctype = a.header("content-type") or ""
    if not ctype.startswith("text/html") or MARK.encode() not in a.body:
        return None
    for _, bad in INJECTIONS:
        if bad.encode() in a.body:
            return bad
    return None


# --- the generator -------------------------------------------------------------

# A concrete request for every route of src/api/api.c (route -> example path).
ROUTES = [
    ("/", "/"),
    ("/health", "/health"),
    ("/ready", "/ready"),
    ("/metrics", "/metrics"),
    ("/conformance", "/conformance"),
    ("/api", "/api"),
    ("/collections", "/collections"),
    ("/collections/{collectionId}", "/collections/towns"),
    ("/collections/{collectionId}/items", "/collections/regions/items"),
    ("/collections/{collectionId}/items/{featureId}", "/collections/regions/items/SI031"),
    ("/distances", "/distances"),
    ("/network", "/network"),
    ("/network/metrics", "/network/metrics"),
    ("/tiles", "/tiles"),
    ("/tiles/{style}", "/tiles/default.json"),
    ("/tiles/{style}/{z}/{x}/{y}", "/tiles/default/10/557/361.png"),
    ("/map.png", "/map.png"),
    ("/map.svg", "/map.svg"),
    ("/map.pdf", "/map.pdf"),
    ("/viewer", "/viewer"),
    ("/embed", "/embed"),
    ("/web/{file}", "/web/viewer.js"),
    ("/assets/leaflet/{file}", "/assets/leaflet/leaflet.css"),
    ("/assets/leaflet/images/{file}", "/assets/leaflet/images/marker-icon.png"),
    ("/geodesic", "/geodesic"),
]

COLLECTIONS = ["towns", "regions", "countries", "rivers", "ties", "network"]

NUMBERS = ["nan", "inf", "-inf", "1e309", "-1e309", "1e-400", "NaN", "0x10", "99999999999999999999",
           "-99999999999999999999", "18446744073709551616", "4294967296", "-1", "-0", "1.5", "",
           " 1", "1 ", "+1", "%2B1", "1%20", "abc", "1e3", "0", "%ff", "%c0%af", "%00"]

BAD_SEGMENTS = [
    "", "..", ".", "%2e%2e", "%2E", "..%2f..%2fetc%2fpasswd", "%2f", "%2F%2F", "%5c", "\\",
    "%00", "a%00b", "%ff", "%c3%28", "%c0%af", "%ed%a0%80", "%e0%80%af", "%f4%90%80%80",
    "%80", "%fe%ff", "%f8%88%80%80%80", "%", "%g1", "%1", "a%zz", "99999999999999999999",
    "-1", "1e309", "4294967296", "18446744073709551616", "-0", "0x10", "nan", "inf",
    "%C5%91riszentp%C3%A9ter", "Ormo%C5%BE", ";jsessionid=1", "*", "~", "%20", "+",
    "%3Cscript%3E" + MARK + "%3C%2Fscript%3E", "<script>" + MARK + "</script>",
    "%22%3E%3Csvg%20onload=" + MARK + "%3E", "\xc3\xa9", "\xff\xfe",
]


def long_segment(rng):
    n = rng.choice([256, 1000, 3000, 7000, 9000])
    return rng.choice(["a" * n, "".join(rng.choice("abcXYZ019-_.~") for _ in range(n)),
                       "%41" * (n // 3), "%ff" * (n // 3)])


def bad_segment(rng):
    r = rng.random()
    if r < 0.12:
        return long_segment(rng)
    if r < 0.2:  # random valid UTF-8, percent-encoded
        ranges = [(0x20, 0x7f), (0xa0, 0x800), (0x4e00, 0x9fff), (0x10000, 0x1f6ff)]
        text = "".join(chr(rng.randrange(*rng.choice(ranges)))
                       for _ in range(rng.randrange(1, 12)))
        return urllib.parse.quote(text, safe="")
    if r < 0.25:
        return "%%%02x" % rng.randrange(256)
    return rng.choice(BAD_SEGMENTS)


# Valid base queries and the parameters of each endpoint, with bad values.
BBOX_BAD = ["16,47,17", "16,46,17,47,1", "1,2,3,4,5,6,7", "nan,46,17,47", "16,inf,17,47",
            "1e309,46,17,47", "16,46,17,-1e309", "", ",,,", "a,b,c,d", "16,46,17,47,",
            "16 ,46,17,47", ",".join(["1"] * 100), "0x10,1,2,3", "17,47,16,46", "200,46,210,47",
            "16,-95,17,95", "16;46;17;47", "16,46,17,47%00", "1e-400,46,17,47", "16,46,16,46"]
BBOX_OK = ["15.9,46.5,16.3,46.8", "170,-10,-170,10", "15,45,0,18,48,100", "-180,-90,180,90"]
CRS_BAD = ["http://www.opengis.net/def/crs/EPSG/0/99999", "EPSG:4326x", "", "CRS84", "crs84",
           "javascript:alert(1)", "x" * 2000, "http://www.opengis.net/def/crs/OGC/1.3/CRS84%00",
           "EPSG:", "EPSG:-1", "urn:ogc:def:crs:EPSG::4326"]
CRS_OK = ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
          "http://www.opengis.net/def/crs/EPSG/0/4326",
          "http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857"]
F_VALUES = ["xml", "", "html", "json", "csv", "HTML", "geojson", "%ff", "jsonp", "html%00",
            "text/html", "pdf", "x" * 300]
TOWN_BAD = ["Nowhere", "", ",", "Ptuj," * 50, "%ff", "%c3%28", "Town 99999", "x" * 3000,
            "Ptuj,,Lendava", "%ed%a0%80", "Ormo%C5%BE%00", "*", "Ptuj;Lendava"]
TOWN_OK = ["Ptuj", "ptuj,Lendava", "ORMOZ", "Ormo%C5%BE", "F%C3%BCrstenfeld", "Murska+Sobota",
           "Murska%20Sobota"]
MODEL_VALUES = ["foo", "", "KNN", "complete", "knn", "within", "mst", "delaunay", "gabriel",
                "rng", "edges", "%ff", "mst%00", "x" * 500, "knn;drop"]

ENDPOINTS = {
    "items": {
        "paths": ["/collections/%s/items" % c for c in COLLECTIONS],
        "base": [("limit", "5")],
        "params": {
            "bbox": (BBOX_BAD + NUMBERS, BBOX_OK),
            "bbox-crs": (CRS_BAD, CRS_OK),
            "crs": (CRS_BAD, CRS_OK),
            "limit": (NUMBERS + ["10001", "1.0", "0b1"], ["1", "24", "100", "10000"]),
            "offset": (NUMBERS, ["0", "5", "100000"]),
            "properties": (["nosuch", "", ",,", "name,nosuch", "name," * 100, "%ff", "name%00"],
                           ["name", "name,country"]),
            "f": (F_VALUES, ["json", "html"]),
            "name": ([p for p, _ in INJECTIONS] + ["%ff", "x" * 2000, "Murska%2BSobota"],
                     TOWN_OK),
            "country": (["XX", "", "SI,AT", "%c0%af", "si"], ["SI", "AT", "HU"]),
            "population": (["abc", "1e309", "-1", "99999999999999999999", "nan", "12.5", ""],
                           ["1000", "-0"]),
            "datetime": (["garbage", "2020-13-45", "", "../..", "x" * 100], ["2020-01-01"]),
        },
    },
    "item": {
        "paths": ["/collections/regions/items/SI031", "/collections/countries/items/SI",
                  "/collections/towns/items/1", "/collections/network/items/1"],
        "base": [],
        "params": {"f": (F_VALUES, ["json", "html"]), "crs": (CRS_BAD, CRS_OK)},
    },
    "pages": {
        "paths": ["/", "/collections", "/collections/towns", "/conformance", "/api", "/tiles",
                  "/collections/regions", "/tiles/light.json"],
        "base": [],
        "params": {"f": (F_VALUES, ["json", "html"])},
    },
    "distances": {
        "paths": ["/distances"],
        "base": [("from", "Ptuj")],
        "params": {
            "from": (TOWN_BAD + [p for p, _ in INJECTIONS], TOWN_OK),
            "to": (TOWN_BAD, TOWN_OK),
            "f": (F_VALUES, ["json", "csv"]),
            "layout": (["diag", "", "PAIRS", "%ff"], ["pairs", "matrix"]),
        },
    },
    "network": {
        "paths": ["/network", "/network/metrics"],
        "base": [("model", "mst")],
        "params": {
            "model": (MODEL_VALUES, ["mst", "knn", "gabriel", "complete"]),
            "k": (["0", "-1", "abc", "99999999999999999999", "24", "1e3", "nan", "", "1.5"],
                  ["1", "3", "23"]),
            "km": (["-1", "nan", "inf", "1e309", "0", "abc", "", "20041", "-0"],
                   ["25", "0.5", "100"]),
            "cross_border": (["maybe", "", "TRUE", "2", "%ff"], ["true", "false"]),
            "country": (["XX", "", ",", "SI,,AT", "%ff", "x" * 1000], ["SI", "SI,AT"]),
            "f": (F_VALUES, ["json", "geojson"]),
        },
    },
    "map": {
        "paths": ["/map.png", "/map.svg", "/map.pdf"],
        "base": [("bbox", "15.5,46.3,16.9,47.5"), ("width", "64"), ("height", "48")],
        "params": {
            "bbox": (BBOX_BAD, ["15.5,46.3,16.9,47.5", "16,46,16.0000001,46.0000001"]),
            "center": (["16", "16,46,1", "nan,nan", "200,100", "", "16,85.1", "a,b"],
                       ["16.1,46.7"]),
            "zoom": (["99", "-1", "nan", "inf", "1e309", "", "abc", "18.5", "19"],
                     ["0", "10", "18"]),
            "width": (["0", "5000", "-1", "abc", "", "4097", "64.5", "1e3",
                       "99999999999999999999", "0x40"], ["1", "32", "64"]),
            "height": (["0", "5000", "-1", "abc", "", "4097", "48.0"], ["1", "32", "48"]),
            "style": (["nosuch", "", "../../etc/passwd", "%ff", "default%00", "x" * 500],
                      ["default", "light"]),
            "scale": (["3", "0", "abc", "1.5", "", "-2", "2.0"], ["1", "2"]),
            "north": (["maybe", "", "%ff"], ["true", "1", "false"]),
        },
    },
    "geodesic": {
        "paths": ["/geodesic"],
        "base": [("from", "15.87,46.42"), ("to", "16.2,46.66")],
        "params": {
            "from": (["1,2,3", "nan,0", "181,0", "0,91", "", "abc", "0,0,", "1e309,0"],
                     ["0,0", "180,0", "-180,-90"]),
            "to": (["1", "inf,0", "0,-91", "", ",", "%ff"], ["0,90", "179.5,0.5"]),
        },
    },
    "embed": {
        "paths": ["/embed", "/viewer"],
        "base": [],
        "params": {
            "style": (["nosuch", "", "%ff"] + [p for p, _ in INJECTIONS], ["light", "default"]),
            "town": (TOWN_BAD + [p for p, _ in INJECTIONS], TOWN_OK),
            "zoom": (["99", "-1", "nan", "abc"], ["10"]),
            "bbox": (BBOX_BAD, BBOX_OK),
            "network": (MODEL_VALUES, ["mst"]),
        },
    },
    "tiles": {
        "paths": ["/tiles/default/10/557/361.png", "/tiles/light/9/278/180@2x.png",
                  "/tiles/default/0/0/0.png"],
        "base": [],
        "params": {},
    },
    "ops": {
        "paths": ["/health", "/ready", "/metrics"],
        "base": [],
        "params": {},
    },
}


def encode_value(v):
    """Query values are written as given (they already hold their escapes),
    except characters that cannot appear raw in a request line."""
    return v.replace(" ", "%20").replace("#", "%23").replace("&", "%26") \
        if not v.startswith(("<", "\"", "'")) else urllib.parse.quote(v, safe="")


def mutate_query(rng, ep):
    spec = ENDPOINTS[ep]
    path = rng.choice(spec["paths"])
    params = list(spec["base"])
    names = list(spec["params"])
    sub = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        r = rng.random()
        if names and r < 0.6:  # a real parameter with a bad (or odd but good) value
            name = rng.choice(names)
            bad, good = spec["params"][name]
            value = rng.choice(bad) if rng.random() < 0.8 or not good else rng.choice(good)
            params = [(k, v) for k, v in params if k != name] + [(name, value)]
            sub.append("bad-value")
        elif r < 0.7:  # an unknown name
            params.append((rng.choice(["foo", "LIMIT", "%ff", "", "a%00", "limit%20", "bbox[]",
                                       "x" * 300, "f%3D", "%3Cscript%3E"]),
                           rng.choice(["1", "", "%ff"])))
            sub.append("unknown-name")
        elif r < 0.8 and (names or spec["base"]):  # a repeated name
            name = rng.choice(names or [k for k, _ in spec["base"]])
            bad, good = spec["params"].get(name, (["x"], ["1"]))
            params += [(name, rng.choice(good or bad)), (name, rng.choice(bad))]
            sub.append("repeated")
        elif r < 0.87:  # 100..200 parameters (the limit is 64)
            n = rng.randrange(100, 200)
            params += [("p%d" % i, str(i)) for i in range(n)]
            sub.append("many")
        elif r < 0.95:  # '+' and '%2B'
            name = rng.choice(names or ["q"])
            params.append((name, rng.choice(["a+b", "a%2Bb", "+", "%2B", "++", "1+1", "%2B1",
                                             "Murska+Sobota", "Murska%2BSobota"])))
            sub.append("plus")
        else:  # broken query syntax
            params.append((rng.choice(["&&", "=", "==", "a==b", "&=&", "%", "a=%", "a=%g0"]),
                           None))
            sub.append("syntax")
    parts = []
    for k, v in params:
        parts.append(k if v is None else "%s=%s" % (encode_value(k), encode_value(v)))
    return path + "?" + "&".join(parts), "+".join(sorted(set(sub)))


def mutate_path(rng):
    route, path = rng.choice(ROUTES)
    segs = path.split("/")[1:]
    r = rng.random()
    if r < 0.7 or not segs:
        i = rng.randrange(len(segs))
        segs[i] = bad_segment(rng)
        sub = "segment"
    elif r < 0.8:
        segs.insert(rng.randrange(len(segs) + 1), bad_segment(rng))
        sub = "insert"
    elif r < 0.87:
        segs.append("")
        sub = "trailing-slash"
    elif r < 0.94:
        path = "/" + "/".join(segs)
        path = path.replace("/", "//", rng.randrange(1, 3))
        return path, "double-slash"
    else:
        segs = [s.upper() if rng.random() < 0.5 else s for s in segs]
        sub = "case"
    return "/" + "/".join(segs), sub


def valid_target(rng):
    """A good request target: a route with its base query."""
    ep = rng.choice(list(ENDPOINTS))
    spec = ENDPOINTS[ep]
    path = rng.choice(spec["paths"])
    q = "&".join("%s=%s" % kv for kv in spec["base"])
    return path + ("?" + q if q else "")


class Case:
    __slots__ = ("cat", "sub", "data", "kind", "method", "half", "expect", "idx")

    def __init__(self, cat, sub, data, kind="api", method=b"GET", half=False, expect=None):
        self.cat, self.sub, self.data, self.kind = cat, sub, data, kind
        self.method, self.half, self.expect = method, half, expect
        self.idx = 0


def gen_path(rng):
    target, sub = mutate_path(rng)
    method = "HEAD" if rng.random() < 0.05 else "GET"
    return Case("path", sub, request(target, method), method=method.encode())


def gen_query(rng):
    ep = rng.choice(list(ENDPOINTS))
    target, sub = mutate_query(rng, ep)
    return Case("query", ep + ":" + sub, request(target))


CTRL = [b"\x01", b"\x02", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b[31m", b"\x7f", b"\x1f"]


def gen_header(rng):
    target = valid_target(rng)
    t = target.encode()
    choice = rng.randrange(26)
    H = lambda hs, **kw: request(t, headers=hs, **kw)  # noqa: E731
    if choice == 0:  # oversize, inside the pool: coopmap's JSON 431
        n = rng.choice([17000, 20000, 30000, 40000])
        return Case("header", "oversize", H([("X-Big", "x" * n)]), expect={431})
    if choice == 1:  # oversize beyond libmicrohttpd's pool: its own HTML 431
        n = rng.choice([70000, 100000, 300000])
        return Case("header", "oversize-pool", H([("X-Big", "x" * n)]), kind="mhd")
    if choice == 2:
        n = rng.choice([20, 64, 100, 300, 500])
        return Case("header", "many", H([("X-H%d" % i, "v%d" % i) for i in range(n)]))
    if choice == 3:  # so many that libmicrohttpd's pool overflows
        n = rng.choice([1000, 2000, 4000])
        return Case("header", "many-pool", H([("X-H%d" % i, "v") for i in range(n)]),
                    kind="mhd")
    if choice == 4:
        v = rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80" * 50,
                        bytes(rng.randrange(0x80, 0x100) for _ in range(30))])
        name = rng.choice([b"X-Bad", b"Accept", b"User-Agent", b"If-None-Match", b"Origin",
                           b"Accept-Encoding", b"Referer"])
        return Case("header", "invalid-utf8", H([(name, v)]))
    if choice == 5:
        name = rng.choice([b"X-Ctl", b"User-Agent", b"Accept", b"Cookie"])
        return Case("header", "control", H([(name, b"a" + rng.choice(CTRL) + b"b")]),
                    expect="tolerant")
    if choice == 6:
        return Case("header", "duplicate-host",
                    request(t, headers=[("Host", rng.choice(["127.0.0.1", "evil", ""]))]),
                    expect={400})
    if choice == 7:
        return Case("header", "missing-host-1.1", request(t, host=None), expect={400})
    if choice == 8:
        return Case("header", "missing-host-1.0", request(t, host=None, version="HTTP/1.0"))
    if choice == 9:
        te = rng.choice(["chunked, chunked", "gzip, chunked", "gzip", "identity", "chunked;x=1",
                         "chunked,", ",chunked", "x" * 200, "compress", "deflate, chunked"])
        return Case("header", "transfer-encoding", H([("Transfer-Encoding", te)]), expect={400})
    if choice == 10:
        hs = rng.choice([[("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
                         [("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
                         [("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]])
        return Case("header", "transfer-encoding-pair", H(hs), expect={400})
    if choice == 11:
        body = rng.choice([b"", b"0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n"])
        return Case("header", "chunked-get",
                    H([("Transfer-Encoding", rng.choice(["chunked", "CHUNKED"]))]) + body,
                    expect={413})
    if choice == 12:
        n = rng.choice([1, 5, 100, 10000])
        # The answer comes at once and the connection closes: a large body
        # left unread would turn that close into a reset racing the answer.
        body = b"x" * n if n <= 100 and rng.random() < 0.5 else b""
        return Case("header", "content-length-get", H([("Content-Length", str(n))]) + body,
                    expect={413})
    if choice == 13:
        return Case("header", "content-length-zero",
                    H([("Content-Length", rng.choice(["0", "00", "000"]))]))
    if choice == 14:  # values libmicrohttpd refuses itself (its HTML 400/413)
        cl = rng.choice(["-1", "abc", " 5 x", "1,1", "99999999999999999999", "5 5", "0x10"])
        return Case("header", "content-length-bad", H([("Content-Length", cl)]), kind="mhd")
    if choice == 15:
        hs = [("Content-Length", "1"), ("Content-Length", "2")]
        return Case("header", "content-length-pair", H(hs), expect={413})
    if choice == 16:
        if rng.random() < 0.5:
            return Case("header", "expect-body",
                        H([("Expect", "100-continue"), ("Content-Length", "5")]) +
                        (b"hello" if rng.random() < 0.5 else b""), expect={413})
        return Case("header", "expect",
                    H([("Expect", rng.choice(["100-continue", "garbage", "", "200-ok"]))]))
    if choice == 17:
        return Case("header", "range",
                    H([("Range", rng.choice(["bytes=0-10", "bytes=-1", "garbage", "bytes=5-1",
                                             "bytes=99999999999999999999-",
                                             "bytes=0-0,1-1," * 100])),
                       ("If-Range", rng.choice(["\"x\"", "garbage"]))]))
    if choice == 18:
        return Case("header", "if-none-match",
                    H([("If-None-Match", rng.choice(["*", "\"abc\"", "W/\"x\"", "\"", ",,,",
                                                     "\"" + "a" * 5000 + "\"", "garbage",
                                                     "\"x\", *", "W/"])),
                       ("If-Modified-Since", rng.choice(["garbage", "Tue, 01 Jan 1900 00:00:00 GMT",
                                                         "99999999999999999999"]))]))
    if choice == 19:
        return Case("header", "accept",
                    H([("Accept", rng.choice(["text/html", "*/*;q=nan", "", ",,,;;;",
                                              "application/json;q=-1, text/html;q=2",
                                              "x" * 3000])),
                       ("Accept-Encoding", rng.choice(["gzip;q=nan", "*", "br, gzip, deflate",
                                                       "gzip;q=0", "", "\x01"]))]))
    if choice == 20:  # the Host header is used for links: hostile hosts
        host = rng.choice([p for p, _ in INJECTIONS] + ["x" * 3000, "[::1", "a b", "%ff",
                                                         "127.0.0.1:99999", "\xff\xfe"])
        target = rng.choice(["/collections?f=html", "/?f=html", "/collections/towns?f=html",
                             "/collections/towns/items?f=html&limit=2", "/tiles/default.json",
                             "/api?f=html", "/collections"])
        return Case("header", "host", request(target, host=host))
    if choice == 21:
        hs = rng.choice([[("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings"),
                          ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")],
                         [("Upgrade", "websocket"), ("Connection", "Upgrade")],
                         [("Connection", "keep-alive, close, foo")], [("Connection", "")]])
        return Case("header", "connection", H(hs))
    if choice == 22:
        return Case("header", "cors",
                    request(t, "OPTIONS", headers=[("Origin", rng.choice(["null", "x" * 2000,
                                                                         "http://evil"])),
                                                   ("Access-Control-Request-Method", "DELETE"),
                                                   ("Access-Control-Request-Headers",
                                                    rng.choice(["x-a, x-b", "\xff", "a" * 600,
                                                                "<script>"]))]),
                    method=b"OPTIONS")
    if choice == 23:  # odd but accepted header syntax
        hs = rng.choice([[(b"X y", b"z")], [(b"", b"z")], [(b"X-Fold", b"a\r\n b")],
                         [(b"X-A" * 100, b"v")], [(b"X-Tab", b"\ta\t")], [(b"X-Empty", b"")]])
        return Case("header", "syntax", H(hs))
    if choice == 24:  # header syntax libmicrohttpd refuses itself
        bad = rng.choice([b"NoColon", b"Host\x00: v", b"X-Nul\x00Name: v", b"\x00: v"])
        data = request(t).replace(b"Connection: close\r\n",
                                  b"Connection: close\r\n" + bad + b"\r\n")
        return Case("header", "syntax-mhd", data, kind="mhd")
    # a NUL in a header value: libmicrohttpd cuts the value there
    name = rng.choice([b"X-Nul", b"User-Agent", b"Accept"])
    return Case("header", "nul-value", H([(name, b"a\x00b")]), expect="tolerant")


METHODS = ["POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "get", "Get", "FOO", "BREW",
           "M-SEARCH", "PROPFIND", "G@T", "GET" * 100, "X" * 20, "OPTIONS", "HEAD", "LINK",
           "QUERY", "PRI"]


def gen_method(rng):
    route, path = rng.choice(ROUTES)
    if rng.random() < 0.15:
        path = "/no/such/thing"
    method = rng.choice(METHODS)
    with_body = method not in ("HEAD", "OPTIONS") and rng.random() < 0.3
    headers = [("Content-Length", "11")] if with_body else []
    body = b"hello=world" if with_body else b""
    data = request(path, method, headers=headers, body=body)
    expect = None
    if method in ("HEAD",):
        expect = None
    elif method == "OPTIONS":
        expect = {204, 404}
    elif with_body and method != "GET":
        expect = {405}
    elif path != "/no/such/thing":
        expect = {405}
    case = Case("method", method if len(method) < 12 else method[:8] + "..",
                data, method=method.encode(), expect=expect)
    return case


def gen_connect(rng):
    target = rng.choice(["127.0.0.1:80", "example.org:443", "[::1]:22", ":0"])
    return Case("method", "CONNECT-authority", request(target, "CONNECT"), expect={400})


def gen_raw(rng):
    choice = rng.randrange(16)
    good = request(valid_target(rng))
    if choice == 0:  # random bytes, possibly ending like a head
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        if rng.random() < 0.5:
            data += b"\r\n\r\n"
        return Case("raw", "random", data, kind="mhd", half=True)
    if choice == 1:  # a request cut short: the head never ends
        cut = rng.randrange(1, good.index(b"\r\n\r\n") + 2)
        return Case("raw", "truncated", good[:cut], kind="mhd", half=True)
    if choice == 2:  # HTTP/0.9: a request line without a version
        return Case("raw", "http/0.9",
                    b"GET " + valid_target(rng).encode() + rng.choice([b"\r\n\r\n", b"\r\n"]),
                    kind="mhd", half=True)
    if choice == 3:
        return Case("raw", "http2-preface",
                    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"),
                    kind="mhd", half=True)
    if choice == 4:  # a TLS ClientHello
        return Case("raw", "tls", bytes.fromhex("160301020001000200fc0303") + bytes(
            rng.randrange(256) for _ in range(64)), kind="mhd", half=True)
    if choice == 5:  # NUL bytes inside the request target: never a 2xx
        t = valid_target(rng).encode()
        i = rng.randrange(1, len(t) + 1)
        data = request(t[:i] + b"\x00" + rng.choice([b"", b"/../../etc/passwd", b"x", b"?a=1"]) +
                       t[i:])
        return Case("raw", "nul-target", data, expect="error")
    if choice == 6:  # a NUL inside the method
        m = rng.choice([b"G\x00ET", b"GE\x00T", b"GET\x00"])
        return Case("raw", "nul-method", m + good[3:], expect={400, 405})
    if choice == 7:  # NUL where libmicrohttpd parses: first byte, version
        data = rng.choice([b"\x00" + good, good.replace(b"HTTP/1.1", b"HTTP/1.1\x00", 1),
                           good.replace(b"HTTP/1.1", b"HTTP/\x001.1", 1)])
        return Case("raw", "nul-line-mhd", data, kind="mhd", half=True)
    if choice == 8:  # raw bytes that are not UTF-8 in the target
        t = valid_target(rng).encode()
        i = rng.randrange(1, len(t) + 1)
        return Case("raw", "raw-8bit-target",
                    request(t[:i] + rng.choice([b"\xff", b"\xc3\x28", b"\xc0\xaf",
                                                b"\xed\xa0\x80"]) + t[i:]), expect="error")
    if choice == 9:  # bare LF line ends, leading empty lines: valid
        return Case("raw", "lf-lines", rng.choice([good.replace(b"\r\n", b"\n"),
                                                   b"\r\n\r\n" + good]))
    if choice == 10:  # a good request with garbage behind it
        return Case("raw", "pipelined", good + bytes(rng.randrange(256) for _ in range(50)))
    if choice == 11:  # request lines libmicrohttpd cannot split
        data = rng.choice([good.replace(b" ", b"\t", 2), good.replace(b"HTTP/1.1", b"http/1.1", 1),
                           good.replace(b"HTTP/1.1", b"HTTP/1.1 x", 1),
                           good.replace(b"HTTP/1.1", b"HTTP/1", 1),
                           good.replace(b"HTTP/1.1", b"HTTP/01.1", 1), b"GET\r\n\r\n",
                           b"GET \r\n\r\n", b" \r\n\r\n", b"\r\n" * 20])
        return Case("raw", "bad-line-mhd", data, kind="mhd", half=True)
    if choice == 12:  # versions libmicrohttpd does not speak (505)
        data = good.replace(b"HTTP/1.1", rng.choice([b"HTTP/2.0", b"HTTP/9.9", b"HTTP/3.0"]), 1)
        return Case("raw", "version-mhd", data, kind="mhd", half=True)
    if choice == 13:  # HTTP/1.x versions that are fine
        return Case("raw", "version-1.x", good.replace(b"HTTP/1.1", rng.choice(
            [b"HTTP/1.0", b"HTTP/1.2", b"HTTP/1.9"]), 1))
    if choice == 14:  # spaces in the target
        t = valid_target(rng).encode()
        i = rng.randrange(1, len(t) + 1)
        return Case("raw", "space-target", request(t[:i] + b"  " + t[i:]), expect="error")
    # a target longer than the limit (8 KiB), still inside the pool
    n = rng.choice([8300, 12000, 30000])
    return Case("raw", "long-target", request("/" + "a" * n), expect={414})


def generate(seed, count):
    rng = random.Random(seed)
    weights = [(gen_path, 25), (gen_query, 36), (gen_header, 20), (gen_method, 11),
               (gen_connect, 1), (gen_raw, 7)]
    total = sum(w for _, w in weights)
    cases = []
    for i in range(count):
        r = rng.randrange(total)
        for fn, w in weights:
            if r < w:
                break
            r -= w
        case = fn(rng)
        case.idx = i
        cases.append(case)
    return cases


# --- judging answers -------------------------------------------------------------

def judge(case, a):
    """None if the answer is acceptable, else why not."""
    if case.kind == "mhd":
        # libmicrohttpd's own territory: its HTML 4xx/505, or a close; never
        # silence past the deadline, never coopmap's 5xx.
        if a.status is None:
            return None if a.error in ("closed", "reset") else "no answer: " + str(a.error)
        if a.status == 505 or 400 <= a.status < 500:
            return None
        if a.status >= 500:
            return "5xx"
        return None if a.error is None else "broken answer: %s" % a.error
    if a.status is None:
        return "no status line (%s)" % a.error
    if a.error:
        return "answer incomplete (%s)" % a.error
    if a.status >= 500:
        return "5xx"
    echo = html_echo(a)
    if echo:
        return "HTML echoes %r unescaped" % echo
    if isinstance(case.expect, set) and a.status not in case.expect:
        return "status %d, want %s" % (a.status, sorted(case.expect))
    if case.expect == "error" and a.status < 400:
        return "status %d for an invalid request, want a 4xx" % a.status
    if 400 <= a.status < 500:
        if a.status == 405 and not a.header("allow"):
            return "405 without Allow"
        if case.method != b"HEAD":
            why = is_json_error(a)
            if why:
                return why
        return None
    if 200 <= a.status < 300 or a.status == 304:
        return None
    return "unexpected status %d" % a.status


def run_cases(port, cases, workers):
    answers = [None] * len(cases)
    it = iter(range(len(cases)))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            c = cases[i]
            answers[i] = exchange(port, c.data, method=c.method, half_close=c.half)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def metric(port, name, labels=""):
    a = exchange(port, request("/metrics"))
    if a.status != 200:
        return None
    for line in a.body.decode("utf-8", "replace").splitlines():
        if line.startswith(name + (("{" + labels + "}") if labels else "")):
            rest = line[len(name):]
            if labels or rest.startswith(" "):
                return float(line.rsplit(" ", 1)[1])
    return None


def cmd_generate(port):
    seed = int(os.environ.get("COOPMAP_HOSTILE_SEED", "20261201"))
    count = int(os.environ.get("COOPMAP_HOSTILE_COUNT", "2400"))
    batch = int(os.environ.get("COOPMAP_HOSTILE_BATCH", "100"))
    workers = int(os.environ.get("COOPMAP_HOSTILE_WORKERS", "8"))
    print("hostile: seed %d (set COOPMAP_HOSTILE_SEED to change), %d requests, batches of %d, "
          "%d parallel connections" % (seed, count, batch, workers))
    cases = generate(seed, count)
    bad = []
    per_cat = collections.Counter()
    per_status = collections.defaultdict(collections.Counter)
    tolerated = collections.Counter()
    unhealthy = []
    slowest = (0.0, None)
    health_ms = []
    t0 = time.monotonic()
    for start in range(0, len(cases), batch):
        chunk = cases[start:start + batch]
        answers = run_cases(port, chunk, workers)
        for c, a in zip(chunk, answers):
            key = c.cat if c.kind == "api" else "mhd:" + c.cat
            per_cat[key] += 1
            per_status[key][a.status if a.status is not None else a.error] += 1
            if c.expect == "tolerant" and a.status is not None and a.status < 400:
                tolerated[c.sub] += 1
            if c.kind == "api" and a.elapsed > slowest[0]:
                slowest = (a.elapsed, c)
            why = judge(c, a)
            if why:
                bad.append((c, a, why))
        h0 = time.monotonic()
        ok, ha = health(port, timeout=2.0)
        health_ms.append((time.monotonic() - h0) * 1000)
        if not ok:
            unhealthy.append((start, ha.describe()))
    elapsed = time.monotonic() - t0
    mhd = sum(n for k, n in per_cat.items() if k.startswith("mhd:"))
    print("hostile: %d requests in %.1fs; %d answered by coopmap's rules, %d classified as "
          "libmicrohttpd's own (%.1f%%)" % (len(cases), elapsed, len(cases) - mhd, mhd,
                                           100.0 * mhd / len(cases)))
    for key in sorted(per_cat):
        statuses = ", ".join("%s: %d" % (k, n) for k, n in
                             sorted(per_status[key].items(), key=lambda kv: str(kv[0])))
        print("  %-12s %5d   %s" % (key, per_cat[key], statuses))
    if tolerated:
        print("  header bytes libmicrohttpd lets through and coopmap ignores (answered 2xx): %s" %
              dict(tolerated))
    print("  /health after each of %d batches: max %.1f ms" % (len(health_ms), max(health_ms)))
    if slowest[1] is not None:
        print("  slowest answer: %.3fs for %r" % (slowest[0], slowest[1].data[:120]))
    failed = False
    if unhealthy:
        failed = True
        print("not ok - /health failed after batches: %s" % unhealthy[:5])
    if bad:
        failed = True
        print("not ok - %d of %d requests were not answered as required; the first 20:" %
              (len(bad), len(cases)))
        for c, a, why in bad[:20]:
            print("  #%d [%s/%s] %s\n      sent %r\n      got  %s" %
                  (c.idx, c.cat, c.sub, why, c.data[:300], a.describe()))
    else:
        print("ok - every generated request was answered as required")
    if mhd > 0.12 * len(cases):
        failed = True
        print("not ok - libmicrohttpd-only cases are %d of %d: not a small minority" %
              (mhd, len(cases)))
    # Nothing left open: the connections of this run all end.
    open_now = None
    for _ in range(40):
        open_now = metric(port, "coopmap_http_connections")
        if open_now is not None and open_now <= 1:
            break
        time.sleep(0.1)
    print("  connections open afterwards: %s" % open_now)
    if open_now is None or open_now > 1:
        failed = True
        print("not ok - connections still open after the run: %s" % open_now)
    return 1 if failed else 0


# --- the probes ------------------------------------------------------------

class Probes:
    def __init__(self, port):
        self.port = port
        self.failures = 0
        self.passes = 0

    def check(self, what, cond, a=None):
        if cond:
            self.passes += 1
            print("ok - %s" % what)
        else:
            self.failures += 1
            print("not ok - %s%s" % (what, (": " + a.describe()) if a is not None else ""))

    def send(self, data, **kw):
        return exchange(self.port, data, **kw)

    def json_4xx(self, what, data, status, max_s=None, method=b"GET"):
        a = self.send(data, method=method)
        ok = a.status == status and a.error is None and is_json_error(a) is None
        if max_s is not None:
            ok = ok and a.elapsed < max_s
            what += " (%.0f ms)" % (a.elapsed * 1000)
        self.check(what, ok, a)
        return a


def cmd_probes(port):
    p = Probes(port)
    # Invalid UTF-8 anywhere a handler would read text: 400 JSON, never 500.
    for what, target in [
        ("invalid UTF-8 in a path", "/health%ff"),
        ("invalid UTF-8 in a path (overlong %c0%af)", "/collections%c0%af"),
        ("invalid UTF-8 in a collection id", "/collections/%ff/items"),
        ("invalid UTF-8 in a collection id (surrogate)", "/collections/%ed%a0%80"),
        ("invalid UTF-8 in a feature id", "/collections/regions/items/%c3%28"),
        ("invalid UTF-8 in a town name", "/distances?from=%c3%28"),
        ("invalid UTF-8 in a town name (to=)", "/distances?from=Ptuj&to=%ff"),
        ("invalid UTF-8 in a model", "/network?model=%ed%a0%80"),
        ("invalid UTF-8 in f=", "/collections?f=%c0%af"),
        ("invalid UTF-8 in a tile style", "/tiles/%ff/0/0/0.png"),
        ("invalid UTF-8 in a filter value", "/collections/towns/items?name=%ff"),
    ]:
        p.json_4xx(what + " is 400 JSON", request(target), 400)
    a = p.json_4xx("/health%00/anything is 400 JSON", request("/health%00/anything"), 400)
    p.json_4xx("limit=1%00 is 400 JSON", request("/collections/towns/items?limit=1%00"), 400)
    # 1,000 query parameters: refused at once, as JSON.
    q = "&".join("k%03d=v" % i for i in range(1000))
    a = p.json_4xx("1,000 query parameters (%d bytes) are 400 JSON quickly" % len(q),
                   request("/collections/towns/items?" + q), 400, max_s=1.0)
    p.check("  ... and the 400 says there are too many",
            b"too many query parameters" in a.body, a)
    q = "&".join("key%04d=v" % i for i in range(1000))
    p.json_4xx("1,000 query parameters in %d bytes (over the 8 KiB target limit) are 414 JSON "
               "quickly" % len(q), request("/collections/towns/items?" + q), 414, max_s=1.0)
    for te in ["chunked, chunked", "gzip, chunked"]:
        p.json_4xx("Transfer-Encoding: %s is 400 JSON quickly" % te,
                   request("/health", headers=[("Transfer-Encoding", te)]), 400, max_s=0.5)
        p.json_4xx("POST with Transfer-Encoding: %s is 400 JSON quickly" % te,
                   request("/health", "POST", headers=[("Transfer-Encoding", te)]), 400,
                   max_s=0.5)
    p.json_4xx("HTTP/1.1 without Host is 400 JSON", request("/health", host=None), 400)
    a = p.send(request("/health", host=None, version="HTTP/1.0"))
    p.check("HTTP/1.0 without Host is served (200)", a.status == 200, a)
    p.json_4xx("two Host headers are 400 JSON",
               request("/health", headers=[("Host", "other")]), 400)
    a = p.json_4xx("POST with a body is 405 JSON",
                   request("/collections", "POST", headers=[("Content-Type",
                                                             "application/x-www-form-urlencoded"),
                                                            ("Content-Length", "7")],
                           body=b"x=1&y=2"), 405)
    p.check("  ... with Allow: GET, HEAD, OPTIONS", a.header("allow") == "GET, HEAD, OPTIONS", a)
    for m in ["PUT", "DELETE", "PATCH"]:
        a = p.json_4xx("%s with a body is 405 JSON" % m,
                       request("/health", m, headers=[("Content-Length", "2")], body=b"{}"), 405)
        p.check("  ... with Allow", bool(a.header("allow")), a)
    p.json_4xx("GET with a body is 413 JSON",
               request("/health", headers=[("Content-Length", "5")], body=b"hello"), 413)
    p.json_4xx("GET with a chunked body is 413 JSON",
               request("/health", headers=[("Transfer-Encoding", "chunked")],
                       body=b"5\r\nhello\r\n0\r\n\r\n"), 413)
    a = p.send(request("/health", headers=[("Content-Length", "0")]))
    p.check("GET with Content-Length: 0 is 200", a.status == 200, a)
    a = p.send(request("/health", headers=[("Expect", "100-continue"), ("Content-Length", "5")]))
    p.check("Expect: 100-continue with a body is 413 JSON before any body is sent",
            a.status == 413 and is_json_error(a) is None, a)
    a = p.json_4xx("a head of 20 KB is 431 JSON",
                   request("/health", headers=[("X-Big", "x" * 20000)]), 431)
    # HTML pages never echo request text unescaped.
    before, pages = p.failures, 0
    for payload, bad in INJECTIONS:
        enc = urllib.parse.quote(payload, safe="")
        for target in ["/collections?f=html&x=" + enc,
                       "/collections/towns/items?f=html&name=" + enc,
                       "/collections/towns/items?f=html&limit=1&country=" + enc,
                       "/collections/regions/items?f=html&name=" + enc + "&limit=2",
                       "/collections/" + enc + "?f=html",
                       "/collections/towns/items/" + enc + "?f=html",
                       "/?f=html&" + enc + "=1",
                       "/embed?town=" + enc, "/embed?style=" + enc, "/viewer?" + enc]:
            a = p.send(request(target, headers=[("Accept", "text/html")]))
            html = (a.header("content-type") or "").startswith("text/html")
            ok = a.status is not None and a.status < 500 and a.error is None and \
                not (html and bad.encode() in a.body)
            pages += html
            if not ok:
                p.check("%s does not echo %r raw" % (target, bad), False, a)
            else:
                p.passes += 1
        for host in [payload, "x" + payload]:
            a = p.send(request("/collections?f=html", host=host))
            p.check("Host %r is not echoed raw into /collections?f=html (%s)" % (host, a.status),
                    a.status == 200 and bad.encode() not in a.body, a)
    p.check("HTML pages (%d of them) echo none of %d injections raw (errors are JSON)" %
            (pages, len(INJECTIONS)), p.failures == before and pages > 0)
    base = p.send(request("/collections/towns/items?f=html&name=Ptuj"))
    for target in ["/collections/towns/items?f=html&name=%3Cscript%3E",
                   "/collections/towns/items?f=html&name=%3Cscript%3E&limit=1&offset=1",
                   "/collections?f=html&q=%3Cscript%3E"]:
        a = p.send(request(target))
        ref = base if "items" in target else p.send(request("/collections?f=html"))
        p.check("%s is 200 HTML with no raw <script from the request (%d <script tags, as "
                "without it)" % (target, a.body.count(b"<script")),
                a.status == 200 and (a.header("content-type") or "").startswith("text/html") and
                a.body.count(b"<script") == ref.body.count(b"<script") and
                b"=<script" not in a.body, a)
    ok, a = health(port)
    p.check("/health is 200 after the probes", ok, a)
    print("probes: %d passed, %d failed" % (p.passes, p.failures))
    return 1 if p.failures else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "probes"):
        sys.exit(__doc__)
    port = int(sys.argv[2])
    sys.exit(cmd_generate(port) if sys.argv[1] == "generate" else cmd_probes(port))


if __name__ == "__main__":
    main()
