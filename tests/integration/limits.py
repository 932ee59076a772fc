#!/usr/bin/env python3
"""Limits of a running coopmap, measured from the outside (standard library
only). Each command checks one limit against a server started for it by
test_limits.sh, prints "ok - ..." / "not ok - ..." lines and what it
measured, and exits non-zero if any check failed.

    limits.py slow PORT HEAD_TIMEOUT       1,000 idle and trickling connections
    limits.py iplimit PORT LIMIT           per-address connection limit
    limits.py connlimit PORT LIMIT         global connection limit
    limits.py idle PORT IDLE_TIMEOUT       silent connections are closed
    limits.py heavy PORT HEALTH_MS QUEUE THREADS   heavy work vs /health and tiles
    limits.py gzipstall PORT HEALTH_MS     a gzipped heavy answer vs /health, one HTTP thread
    limits.py cost PORT                    413 for maps, distances, network metrics
    limits.py deadline PORT                503 when the heavy deadline passes
    limits.py metrics PORT                 /ready, and /metrics in the Prometheus format
    limits.py jsonlog FILE                 every line a JSON object; access lines complete
    limits.py geojson FILE COUNT           a FeatureCollection of COUNT valid features
"""
import gzip
import http.client
import json
import math
import os
import re
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import exchange, is_json_error, request  # noqa: E402

HOST = "127.0.0.1"
FAILURES = 0


def check(what, cond, detail=None):
    global FAILURES
    if cond:
        print("ok - %s" % what)
    else:
        FAILURES += 1
        print("not ok - %s%s" % (what, (": %s" % detail) if detail is not None else ""))
    return cond


def done():
    sys.exit(1 if FAILURES else 0)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def get(port, target, timeout=10.0, headers=None, src=None):
    """One GET on a new connection: (status, headers dict, body, seconds);
    status None when the connection failed or closed without an answer."""
    a = exchange(port, request(target, headers=headers), timeout=timeout, src=src)
    return a


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def connect_from(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect((HOST, port))
    return s


def closed_by_peer(s):
    """True if the server has closed s (EOF or reset); False if it is open
    (nothing to read). Non-blocking."""
    s.setblocking(False)
    try:
        data = s.recv(4096)
        return not data or None  # data: an answer (None: neither)
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        s.setblocking(True)


def wait_closed(socks, seconds):
    """Polls until the server closed each socket or seconds pass; returns
    {index: seconds after the start when seen closed}."""
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    t0 = time.monotonic()
    closed = {}
    while len(closed) < len(socks) and time.monotonic() - t0 < seconds:
        for key, _ in sel.select(timeout=0.02):
            i = key.data
            s = socks[i]
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                closed[i] = time.monotonic() - t0
                sel.unregister(s)
    sel.close()
    return closed


# --- slow clients ---------------------------------------------------------------

def cmd_slow(port, head_timeout):
    n, naddr = 1000, 40
    limit = raise_nofile(n + 200)
    if not check("the client may open %d sockets (open-files limit %d)" % (n, limit),
                 limit >= n + 100):
        done()
    print("slow: %d connections from 127.0.0.2..127.0.0.%d (half idle, half trickling a head "
          "one byte at a time); head timeout %gs; client open-files limit %d" %
          (n, naddr + 1, head_timeout, limit))
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    socks, opened, sent = [], [], []
    t_start = time.monotonic()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % (2 + i % naddr), 0))
        s.connect((HOST, port))
        s.setblocking(False)
        socks.append(s)
        opened.append(time.monotonic())
        sent.append(0)
    t_open = time.monotonic() - t_start
    print("  opened %d connections in %.2fs" % (n, t_open))
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    closed = {}  # index -> seconds after its own connect
    answered = {}  # index -> bytes the server sent (it should send nothing)
    normal = []  # (seconds after the last connect, status, elapsed, open slow connections)

    def close_seen(i):
        if i not in closed:
            closed[i] = time.monotonic() - opened[i]
            try:
                sel.unregister(socks[i])
            except (KeyError, ValueError):
                pass

    def normal_client(at):
        open_now = n - len(closed)
        a = get(port, "/health", timeout=1.0, src="127.0.0.1")
        normal.append((at, a.status, a.elapsed, open_now))

    probes_at = [0.25 * head_timeout, 0.45 * head_timeout, 0.65 * head_timeout]
    threads = []
    t_last = opened[-1]
    deadline = t_last + head_timeout + 4.0
    next_trickle = time.monotonic()
    while len(closed) < n and time.monotonic() < deadline:
        now = time.monotonic()
        while probes_at and now - t_last >= probes_at[0]:
            t = threading.Thread(target=normal_client, args=(probes_at.pop(0),))
            t.start()
            threads.append(t)
        if now >= next_trickle:  # one more byte on every trickling connection
            next_trickle = now + 0.1
            for i in range(1, n, 2):
                if i in closed:
                    continue
                try:
                    sent[i] += socks[i].send(head[sent[i]:sent[i] + 1])
                except (BrokenPipeError, ConnectionResetError):
                    close_seen(i)
                except BlockingIOError:
                    pass
        for key, _ in sel.select(timeout=0.02):
            i = key.data
            try:
                data = socks[i].recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            except BlockingIOError:
                continue
            if data:
                answered[i] = answered.get(i, b"") + data
            else:
                close_seen(i)
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    sel.close()
    ages = list(closed.values())
    idle = [closed[i] for i in closed if i % 2 == 0]
    trickle = [closed[i] for i in closed if i % 2 == 1]
    print("  closed by the server: %d of %d; after (s) idle min/median/max %.2f/%.2f/%.2f, "
          "trickling %.2f/%.2f/%.2f (%.0f bytes sent each on average)" %
          (len(closed), n, min(idle or [0]), pct(idle, 50), max(idle or [0]),
           min(trickle or [0]), pct(trickle, 50), max(trickle or [0]),
           statistics.mean(sent[1::2])))
    for at, status, elapsed, open_now in sorted(normal):
        print("  normal client at +%.2fs: %s in %.0f ms while %d slow connections were open" %
              (at, status, elapsed * 1000, open_now))
    check("a normal client from 127.0.0.1 is served (200) within 1 s, three times, while the slow "
          "connections are open",
          len(normal) == 3 and all(s == 200 and e < 1.0 and o >= n * 0.95
                                   for _, s, e, o in normal), normal)
    check("all %d slow connections are closed by the server" % n, len(closed) == n,
          "%d still open" % (n - len(closed)))
    check("each within the head timeout plus a second (max %.2fs <= %.1fs)" %
          (max(ages or [99]), head_timeout + 1.0), ages and max(ages) <= head_timeout + 1.0)
    check("none before the head timeout (min %.2fs >= %.1fs)" %
          (min(ages or [0]), head_timeout - 0.1), ages and min(ages) >= head_timeout - 0.1)
    check("the server sent nothing on them (no answer to a head that never ended)", not answered,
          {i: v[:80] for i, v in list(answered.items())[:3]})
    m = scrape_until(port, ("coopmap_http_rejected_total", (("reason", "head_timeout"),)), n)
    got = m.get(("coopmap_http_rejected_total", (("reason", "head_timeout"),)))
    check("/metrics counts them: coopmap_http_rejected_total{reason=\"head_timeout\"} = %s "
          "(want %d)" % (got, n), got == n)
    done()


# --- connection limits ----------------------------------------------------------

def cmd_iplimit(port, limit):
    n, src = limit + 10, "127.0.0.50"
    socks = [connect_from(src, port) for _ in range(n)]
    closed = wait_closed(socks, 1.0)
    late = wait_closed([s for i, s in enumerate(socks) if i not in closed], 0.5)
    print("iplimit: %d connections from %s with --max-connections-per-ip %d: %d closed by the "
          "server within 1 s (after %s s), %d more in the next 0.5 s" %
          (n, src, limit, len(closed), ",".join("%.3f" % t for t in sorted(closed.values())[:3]),
           len(late)))
    check("%d connections from one address stay open" % limit,
          len(closed) == n - limit and not late)
    check("the %d beyond the limit are closed at once (within 1 s; slowest %.3fs)" %
          (n - limit, max(closed.values() or [9])), len(closed) == n - limit and
          max(closed.values()) < 1.0)
    # Which ones are refused depends on the order libmicrohttpd's threads
    # accept them in, not only on the order they were opened: told, not checked.
    print("  refused: connections %s (by the order they were opened)" % sorted(closed))
    a = get(port, "/health", timeout=2.0, src="127.0.0.51")
    check("another address (127.0.0.51) is still served (%s)" % a.status, a.status == 200,
          a.describe())
    a = get(port, "/health", timeout=2.0, src="127.0.0.1")
    check("and 127.0.0.1 too (%s)" % a.status, a.status == 200, a.describe())
    m = scrape_until(port, ("coopmap_http_rejected_total", (("reason", "ip_limit"),)), n - limit)
    got = m.get(("coopmap_http_rejected_total", (("reason", "ip_limit"),)))
    check("coopmap_http_rejected_total{reason=\"ip_limit\"} = %s (want %d)" % (got, n - limit),
          got == n - limit)
    check("coopmap_http_connections_max{scope=\"per_ip\"} = %d" % limit,
          m.get(("coopmap_http_connections_max", (("scope", "per_ip"),))) == limit)
    for s in socks:
        s.close()
    done()


def cmd_connlimit(port, limit):
    n = limit + 10
    socks = [connect_from("127.0.0.%d" % (60 + i % 5), port) for i in range(n)]
    closed = wait_closed(socks, 1.0)
    late = wait_closed([s for i, s in enumerate(socks) if i not in closed], 0.5)
    print("connlimit: %d connections with --max-connections %d: %d closed within 1 s, %d later" %
          (n, limit, len(closed), len(late)))
    check("%d connections stay open" % limit, len(closed) == n - limit and not late)
    check("the %d beyond the limit are closed at once (slowest %.3fs)" %
          (n - limit, max(closed.values() or [9])),
          len(closed) == n - limit and max(closed.values()) < 1.0)
    a = get(port, "/health", timeout=2.0)
    check("while the server is full a new client is closed at once without an answer "
          "(%s, %.3fs)" % (a.error, a.elapsed),
          a.status is None and a.error in ("closed", "reset") and a.elapsed < 1.0, a.describe())
    refused = len(closed) + 1
    keep = [s for i, s in enumerate(socks) if i not in closed]
    for s in keep[:5]:
        s.close()
    served = None
    for _ in range(20):  # the server notices the closes asynchronously
        a = get(port, "/health", timeout=2.0)
        if a.status == 200:
            served = a
            break
        refused += a.status is None
        time.sleep(0.05)
    check("once 5 are closed a new client is served", served is not None)
    for s in socks:
        s.close()
    time.sleep(0.2)
    m = scrape_until(port, ("coopmap_http_rejected_total", (("reason", "connection_limit"),)),
                     refused)
    got = m.get(("coopmap_http_rejected_total", (("reason", "connection_limit"),)))
    check("coopmap_http_rejected_total{reason=\"connection_limit\"} = %s (want %d)" %
          (got, refused), got == refused)
    check("coopmap_http_connections_max{scope=\"all\"} = %d" % limit,
          m.get(("coopmap_http_connections_max", (("scope", "all"),))) == limit)
    done()


def cmd_idle(port, idle):
    s = connect_from("127.0.0.70", port)
    closed = wait_closed([s], idle + 3.0)
    t = closed.get(0)
    print("idle: a connection that sends nothing was closed after %s s (--idle-timeout %g)" %
          ("%.2f" % t if t is not None else "never", idle))
    check("a silent connection is closed by the idle timeout (%.2fs, want %.1f..%.1f)" %
          (t or -1, idle - 0.5, idle + 1.5), t is not None and idle - 0.5 <= t <= idle + 1.5)
    s.close()
    # A keep-alive connection that goes quiet after one answer.
    s = connect_from("127.0.0.71", port)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    s.settimeout(5)
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, body = buf.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += s.recv(65536)
    check("a keep-alive request is answered 200", head.startswith(b"HTTP/1.1 200"), head[:40])
    closed = wait_closed([s], idle + 3.0)
    t = closed.get(0)
    print("idle: the keep-alive connection, quiet after its answer, was closed after %s s" %
          ("%.2f" % t if t is not None else "never"))
    check("a keep-alive connection quiet after its answer is closed by the idle timeout "
          "(%.2fs, want %.1f..%.1f)" % (t or -1, idle - 0.5, idle + 1.5),
          t is not None and idle - 0.5 <= t <= idle + 1.5)
    s.close()
    done()


# --- heavy work against cheap requests -----------------------------------------

TILE = "/tiles/default/10/557/361.png"
FROM250 = ",".join("Town%%20%d" % i for i in range(250))
MAP4096 = "/map.png?bbox=13,45,19,48.5&width=4096&height=4096"


def keepalive_sample(port, stop, out, period=0.1):
    """/health every period on one kept-alive connection (reported only:
    which HTTP thread it shares with heavy answers is up to chance)."""
    c = None
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            if c is None:
                c = http.client.HTTPConnection(HOST, port, timeout=10)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            out.append((r.status, (time.monotonic() - t0) * 1000))
        except (OSError, http.client.HTTPException):
            out.append((None, (time.monotonic() - t0) * 1000))
            c = None
        stop.wait(max(0.0, period - (time.monotonic() - t0)))
    if c:
        c.close()


def sample(port, stop, out, period=0.1):
    """/health and a cold tile every period until stop is set."""
    while not stop.is_set():
        t0 = time.monotonic()
        a = get(port, "/health", timeout=10)
        out["health"].append((a.status, a.elapsed * 1000))
        out.setdefault("t", []).append(t0 - out.setdefault("t0", t0))
        b = get(port, TILE, timeout=10)
        out["tile"].append((b.status, b.elapsed * 1000))
        stop.wait(max(0.0, period - (time.monotonic() - t0)))


def summary(name, rows):
    ms = [m for _, m in rows]
    return "%s n=%d p50=%.1f ms max=%.1f ms statuses=%s" % (
        name, len(rows), pct(ms, 50), max(ms or [float("nan")]),
        sorted(set(s for s, _ in rows), key=str))


def heavy_request(port, target, out, i, headers=None):
    t0 = time.monotonic()
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        c.request("GET", target, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        out[i] = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), body,
                  time.monotonic() - t0)
    except (OSError, http.client.HTTPException) as e:
        out[i] = (None, {}, repr(e).encode(), time.monotonic() - t0)
    finally:
        c.close()


def png_size(body):
    if body[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", body[16:24])


def cmd_fire(port, mode="mixed"):
    """The heavy load, run in its own process so the measuring process's
    threads never wait for this one's (the GIL): prints one JSON line per
    request when all are done. mode "gzip": one /distances, asking gzip."""
    if mode == "gzip":  # 500 x 1000 distances: some 60 MB of JSON to compress
        targets = ["/distances?from=" + ",".join("Town%%20%d" % i for i in range(500))]
        headers = {"Accept-Encoding": "gzip"}
    else:
        targets, headers = ["/distances?from=" + FROM250] * 8 + [MAP4096] * 6, {}
    results = [None] * len(targets)
    workers = [threading.Thread(target=heavy_request, args=(port, tg, results, i, headers))
               for i, tg in enumerate(targets)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join(150)
    out = []
    for tg, r in zip(targets, results):
        if r is None:
            out.append({"target": tg[:40], "status": None})
            continue
        status, rheaders, body, secs = r
        item = {"target": tg[:40], "status": status, "headers": rheaders, "seconds": secs,
                "end": secs, "bytes": len(body)}
        item["encoding"] = rheaders.get("content-encoding")
        if status == 200 and "distances" in tg:
            try:
                if item["encoding"] == "gzip":
                    body = gzip.decompress(body)
                d = json.loads(body)
                item["matrix"] = [len(d["matrix_km"]), len(d["matrix_km"][0])]
            except (ValueError, KeyError, IndexError, TypeError, OSError) as e:
                item["matrix"] = repr(e)[:200]
        elif status == 200 and "map.png" in tg:
            item["png"] = png_size(body)
        else:
            item["body"] = body[:300].decode("utf-8", "replace")
        out.append(item)
    json.dump({"started": t0, "results": out}, sys.stdout)
    sys.stdout.write("\n")


def cmd_heavy(port, health_ms, queue, threads):
    quiet = {"health": [], "tile": []}
    stop = threading.Event()
    t = threading.Thread(target=sample, args=(port, stop, quiet))
    t.start()
    time.sleep(2.0)  # the baseline: 2 s of samples without load
    stop.set()
    t.join()
    print("heavy: without load: %s; %s" % (summary("/health", quiet["health"]),
                                           summary("tile", quiet["tile"])))
    loaded = {"health": [], "tile": []}
    stop = threading.Event()
    kept = []
    sampler = threading.Thread(target=sample, args=(port, stop, loaded))
    keeper = threading.Thread(target=keepalive_sample, args=(port, stop, kept))
    t0 = time.monotonic()
    sampler.start()
    keeper.start()
    fire = subprocess.run([sys.executable, os.path.abspath(__file__), "fire", str(port)],
                          stdout=subprocess.PIPE, timeout=200)
    busy = time.monotonic() - t0
    stop.set()
    sampler.join()
    keeper.join()
    results = json.loads(fire.stdout)["results"]
    print("heavy: 8 x /distances (250 x 1000 towns) + 6 x 4096 px maps, all at once, done in "
          "%.1fs; under load: %s; %s" % (busy, summary("/health", loaded["health"]),
                                         summary("tile", loaded["tile"])))
    print("  (reported, not checked) /health on one kept-alive connection: %s" %
          summary("keep-alive", kept))
    slow = [(round(at, 2), round(ms)) for at, (s, ms) in zip(loaded["t"], loaded["health"])
            if ms >= health_ms / 2]
    if slow:
        print("  /health samples over %d ms (seconds into the load, ms): %s" %
              (health_ms / 2, slow[:10]))
    ok = [r for r in results if r["status"] == 200]
    busy503 = [r for r in results if r["status"] == 503]
    other = [r for r in results if r["status"] not in (200, 503)]
    for kind, rows in (("200", ok), ("503", busy503)):
        if rows:
            print("  heavy %s: %d, in %s s" % (kind, len(rows), ", ".join(
                "%.2f" % r["seconds"] for r in sorted(rows, key=lambda r: r["seconds"]))))
    lo, hi = queue, queue + threads  # a job may or may not have left the queue yet
    check("/health answered 200 every time under load (%d samples)" % len(loaded["health"]),
          loaded["health"] and all(s == 200 for s, _ in loaded["health"]))
    worst = max(m for _, m in loaded["health"]) if loaded["health"] else 1e9
    check("every /health under load took less than %d ms (max %.1f ms)" % (health_ms, worst),
          worst < health_ms)
    check("tiles kept answering 200 under load (%d samples)" % len(loaded["tile"]),
          loaded["tile"] and all(s == 200 for s, _ in loaded["tile"]))
    check("no heavy request failed otherwise", not other, other[:3])
    check("%d..%d heavy requests were taken (the queue of %d plus %d running), got %d" %
          (lo, hi, queue, threads, len(ok)), lo <= len(ok) <= hi)
    check("the rest (%d) were refused with 503" % (len(results) - len(ok)),
          len(busy503) == len(results) - len(ok))
    quick = [r["seconds"] for r in busy503]
    check("the 503s came quickly, not after waiting (slowest %.3fs < 1 s)" %
          max(quick or [0]), quick and max(quick) < 1.0)
    check("every 503 has Retry-After and a JSON body",
          all(r["headers"].get("retry-after", "").isdigit() and _json_body(r["body"])
              for r in busy503), [(r["headers"].get("retry-after"), r["body"][:100])
                                  for r in busy503][:2])
    dist = [r for r in ok if "distances" in r["target"]]
    maps = [r for r in ok if "map.png" in r["target"]]
    check("the /distances 200s (%d) hold 250 x 1000 distances" % len(dist),
          all(r.get("matrix") == [250, 1000] for r in dist), [r.get("matrix") for r in dist])
    check("the /map.png 200s (%d) are 4096 x 4096 PNGs" % len(maps),
          all(r.get("png") == [4096, 4096] for r in maps), [r.get("png") for r in maps])
    m = scrape(port)
    refused = m.get(("coopmap_queue_refused_total", (("queue", "heavy"),)))
    check("coopmap_queue_refused_total{queue=\"heavy\"} = %s (> 0, the 503s counted)" % refused,
          refused is not None and refused > 0 and refused == len(busy503))
    done()


def cmd_gzipstall(port, health_ms):
    """One HTTP thread (--threads 1) and one heavy /distances for a client
    that accepts gzip: the HTTP thread must stay free for /health while the
    60 MB answer is finished (its ETag and gzip) and sent."""
    rows = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_health, args=(port, stop, rows, 0.05))
    t0 = time.monotonic()
    sampler.start()
    fire = subprocess.run([sys.executable, os.path.abspath(__file__), "fire", str(port), "gzip"],
                          stdout=subprocess.PIPE, timeout=200)
    stop.set()
    sampler.join()
    r = json.loads(fire.stdout)["results"][0]
    print("gzipstall: /distances (500 x 1000) with Accept-Encoding: gzip: %s, %s, %s bytes in "
          "%.2fs; meanwhile %s" % (r["status"], r.get("encoding"), r.get("bytes"),
                                   time.monotonic() - t0, summary("/health", [v for _, v in rows])))
    slow = [(round(at, 2), round(ms)) for at, (s, ms) in rows if ms >= health_ms]
    if slow:
        print("  /health over %d ms (seconds into the request, ms): %s" % (health_ms, slow[:10]))
    check("the answer is 200, gzip, 500 x 1000 distances", r["status"] == 200 and
          r.get("encoding") == "gzip" and r.get("matrix") == [500, 1000],
          {k: r.get(k) for k in ("status", "encoding", "matrix", "body")})
    check("/health stays under %d ms on the one HTTP thread while a heavy answer is gzipped for "
          "its client (max %.1f ms)" % (health_ms, max(ms for _, (s, ms) in rows)),
          rows and all(s == 200 and ms < health_ms for _, (s, ms) in rows))
    done()


def sample_health(port, stop, rows, period):
    t0 = time.monotonic()
    while not stop.is_set():
        t = time.monotonic()
        a = get(port, "/health", timeout=10)
        rows.append((t - t0, (a.status, a.elapsed * 1000)))
        stop.wait(max(0.0, period - (time.monotonic() - t)))


def _json_body(text):
    try:
        d = json.loads(text)
    except ValueError:
        return False
    return isinstance(d, dict) and isinstance(d.get("code"), str) and \
        isinstance(d.get("description"), str)


# --- cost limits and deadlines ----------------------------------------------------

def cmd_cost(port):
    a = get(port, MAP4096 + "&scale=2")
    check("a 4096 x 4096 map at scale=2 is 413 JSON at once (%.0f ms)" % (a.elapsed * 1000),
          a.status == 413 and is_json_error(a) is None and a.elapsed < 0.5, a.describe())
    f50 = ",".join("Town%%20%d" % i for i in range(50))
    t50 = ",".join("Town%%20%d" % i for i in range(50, 100))
    a = get(port, "/distances?from=%s&to=%s" % (f50, t50))
    check("/distances of 50 x 50 towns over --max-distance-pairs 1000 is 413 JSON (%.0f ms)" %
          (a.elapsed * 1000), a.status == 413 and is_json_error(a) is None and a.elapsed < 0.5,
          a.describe())
    f30 = ",".join("Town%%20%d" % i for i in range(30))
    a = get(port, "/distances?from=%s&to=%s" % (f30, f30))
    check("/distances of 30 x 30 (900 pairs, under the limit) is 200", a.status == 200,
          a.describe())
    a = get(port, "/network/metrics?model=complete", timeout=60)
    check("/network/metrics?model=complete on 1,000 towns over --max-network-cost 1e6 is 413 "
          "JSON (%.2fs)" % a.elapsed, a.status == 413 and is_json_error(a) is None, a.describe())
    a = get(port, "/network?model=complete", timeout=60)
    check("/network?model=complete is 413 JSON too (%.2fs)" % a.elapsed,
          a.status == 413 and is_json_error(a) is None, a.describe())
    a = get(port, "/network/metrics?model=mst&country=SI", timeout=60)
    check("a network under the cost limit (the MST of the 333 SI towns) is 200 (%.2fs)" %
          a.elapsed, a.status == 200, a.describe())
    a = get(port, "/health", timeout=2)
    check("/health is 200 afterwards", a.status == 200, a.describe())
    key = ("coopmap_http_rejected_total", (("reason", "cost_limit"),))
    got = scrape_until(port, key, 4).get(key)
    check("coopmap_http_rejected_total{reason=\"cost_limit\"} = %s (want 4)" % got, got == 4)
    done()


def cmd_deadline(port, timeout_s, max_s):
    a = get(port, "/network/metrics?model=delaunay", timeout=60)
    print("deadline: /network/metrics?model=delaunay on 10,000 towns with --heavy-timeout %g: "
          "%s in %.2fs" % (timeout_s, a.status, a.elapsed))
    check("it is 503 JSON with Retry-After", a.status == 503 and is_json_error(a) is None and
          (a.header("retry-after") or "").isdigit(), a.describe())
    check("in about %gs, not several (%.2fs, want %.1f..%.1f)" %
          (timeout_s, a.elapsed, timeout_s * 0.9, max_s),
          timeout_s * 0.9 <= a.elapsed <= max_s)
    t0 = time.monotonic()
    b = get(port, "/health", timeout=2)
    check("the server is healthy right after (/health %s in %.0f ms)" %
          (b.status, (time.monotonic() - t0) * 1000), b.status == 200, b.describe())
    # The abandoned computation must not keep the heavy worker: a small
    # heavy request after it (101 x 101 distances, just over what runs
    # inline) is served at once.
    towns = ",".join("Town%%20%d" % i for i in range(101))
    c = get(port, "/distances?from=%s&to=%s" % (towns, towns), timeout=30)
    check("the heavy worker is free again: 101 x 101 distances right after are 200 in %.2fs "
          "(< %.1fs)" % (c.elapsed, max_s / 2), c.status == 200 and c.elapsed < max_s / 2,
          c.describe())
    key = ("coopmap_http_rejected_total", (("reason", "deadline"),))
    got = scrape_until(port, key, 1).get(key)
    check("coopmap_http_rejected_total{reason=\"deadline\"} = %s (want 1)" % got, got == 1)
    done()


# --- /metrics, /ready, logs ----------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[^"}]|"(?:[^"\\\n]|\\["\\n])*")*)\})? '
                    r'([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN|inf|nan))'
                    r'( -?[0-9]+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"')


def parse_prometheus(text):
    """Samples of the text exposition format: {(name, ((label, value), ...)): value};
    raises ValueError naming the first line that is not in the format."""
    samples, types = {}, {}
    for n, line in enumerate(text.split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram",
                                                            "summary", "untyped"):
                        raise ValueError("line %d: bad TYPE: %r" % (n, line))
                    types[parts[2]] = parts[3]
                continue
            raise ValueError("line %d: a comment that is neither HELP nor TYPE: %r" % (n, line))
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("line %d is not `name{labels} value`: %r" % (n, line))
        name, body, value = m.group(1), m.group(3), m.group(4)
        labels = []
        if body:
            pos = 0
            while pos < len(body):
                lm = LABEL.match(body, pos)
                if not lm:
                    raise ValueError("line %d: bad labels: %r" % (n, line))
                labels.append((lm.group(1), lm.group(2)))
                pos = lm.end()
                if pos < len(body):
                    if body[pos] != ",":
                        raise ValueError("line %d: bad labels: %r" % (n, line))
                    pos += 1
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in types and family not in types:
            raise ValueError("line %d: %s has no TYPE line" % (n, name))
        key = (name, tuple(labels))
        if key in samples:
            raise ValueError("line %d: duplicate sample %r" % (n, key))
        samples[key] = float(value)
    return samples


def scrape_until(port, key, want, tries=20):
    """Scrapes until the sample key has the value want (a request is counted
    when it completes, just after its answer went out), at most tries times
    50 ms apart; returns the last scrape."""
    m = {}
    for _ in range(tries):
        m = scrape(port)
        if m.get(key) == want:
            break
        time.sleep(0.05)
    return m


def scrape(port):
    a = get(port, "/metrics")
    if a.status != 200:
        print("  /metrics: %s" % a.describe())
        return {}
    return parse_prometheus(a.body.decode("utf-8"))


def cmd_metrics(port, tile_queue, heavy_queue):
    a = get(port, "/ready")
    d = None
    try:
        d = json.loads(a.body)
    except ValueError:
        pass
    check("/ready is 200 JSON with \"ready\": true", a.status == 200 and
          (a.header("content-type") or "").startswith("application/json") and
          isinstance(d, dict) and d.get("ready") is True, a.describe())
    h = json.loads(get(port, "/health").body)
    check("/ready names the data version /health reports", d and d.get("data_version") ==
          h["data_version"])
    for _ in range(7):
        get(port, "/conformance")
    get(port, TILE)
    get(port, TILE)
    get(port, "/no/such/thing")
    for _ in range(20):  # counted as each completes, just after the answer went out
        a = get(port, "/metrics")
        if b'coopmap_http_requests_total{route="none",status="404"} 1\n' in a.body and \
                b'coopmap_http_requests_total{route="/conformance",status="200"} 7\n' in a.body:
            break
        time.sleep(0.05)
    ctype = a.header("content-type") or ""
    check("/metrics is 200 text/plain (%s)" % ctype, a.status == 200 and
          ctype.startswith("text/plain") and "version=0.0.4" in ctype)
    try:
        m = parse_prometheus(a.body.decode("utf-8"))
        check("every line of /metrics is a HELP/TYPE comment or `name{labels} value` (%d samples)"
              % len(m), True)
    except ValueError as e:
        check("every line of /metrics is a HELP/TYPE comment or `name{labels} value`", False, e)
        done()

    def val(name, **labels):
        return m.get((name, tuple(labels.items())))

    got = val("coopmap_http_requests_total", route="/conformance", status="200")
    check("coopmap_http_requests_total{route=\"/conformance\",status=\"200\"} = %s (called 7 times)"
          % got, got == 7)
    got = val("coopmap_http_requests_total", route="none", status="404")
    check("an unrouted 404 is counted under route=\"none\" (%s)" % got, got == 1)
    cnt = val("coopmap_http_request_duration_seconds_count", route="/conformance")
    inf = val("coopmap_http_request_duration_seconds_bucket", route="/conformance", le="+Inf")
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in m.items()
                      if k[0] == "coopmap_http_request_duration_seconds_bucket" and
                      dict(k[1]).get("route") == "/conformance"), key=lambda kv: kv[0])
    check("the latency histogram of /conformance counts 7, its buckets never decrease",
          cnt == 7 and inf == 7 and all(b[1] <= c[1] for b, c in zip(buckets, buckets[1:])),
          (cnt, inf, buckets[:3]))
    tc = {k: val("coopmap_tile_cache_" + k, cache="tiles")
          for k in ("misses_total", "hits_total", "bytes", "entries", "max_bytes")}
    check("the tile cache (cache=\"tiles\"): %s; a tile asked twice is one miss and one hit, "
          "the budget the default 64 MiB" % tc,
          (tc["misses_total"] or 0) >= 1 and (tc["hits_total"] or 0) >= 1 and
          (tc["bytes"] or 0) > 0 and (tc["entries"] or 0) >= 1 and tc["max_bytes"] == 64 << 20)
    check("the queues: capacity tiles=%s (want %d), heavy=%s (want %d); depth and workers shown" %
          (val("coopmap_queue_capacity", queue="tiles"), tile_queue,
           val("coopmap_queue_capacity", queue="heavy"), heavy_queue),
          val("coopmap_queue_capacity", queue="tiles") == tile_queue and
          val("coopmap_queue_capacity", queue="heavy") == heavy_queue and
          val("coopmap_queue_depth", queue="heavy") is not None and
          (val("coopmap_queue_workers", queue="tiles") or 0) >= 1 and
          val("coopmap_queue_done_total", queue="tiles") is not None)
    info = [k for k in m if k[0] == "coopmap_data_info"]
    check("coopmap_data_info{version=\"%s\"} = 1, the version /health reports" % h["data_version"],
          len(info) == 1 and dict(info[0][1]).get("version") == h["data_version"] and
          m[info[0]] == 1, info)
    rss = val("process_resident_memory_bytes")
    check("process_resident_memory_bytes = %s > 0" % rss, rss is not None and rss > 0)
    check("the rejections are listed by reason", all(
        val("coopmap_http_rejected_total", reason=r) is not None
        for r in ("malformed", "head_timeout", "connection_limit", "ip_limit", "queue_full",
                  "deadline", "cost_limit")))
    # The log test needs a request that holds bytes a JSON string must escape.
    exchange(port, b"GET /a\xffb\"\\c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    exchange(port, b"GET /tab\x01ctl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    done()


def cmd_jsonlog(path, want_conformance):
    lines = open(path, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    bad, access = [], []
    for line in lines:
        try:
            d = json.loads(line.decode("utf-8"))
            if not isinstance(d, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError) as e:
            bad.append((line[:200], str(e)))
            continue
        if d.get("msg") == "access":
            access.append(d)
    print("jsonlog: %d lines on stderr, %d access lines" % (len(lines), len(access)))
    check("every stderr line is one JSON object", lines and not bad, bad[:3])
    types = {"method": str, "target": str, "status": int, "bytes": int, "ms": (int, float)}
    wrong = [d for d in access if any(not isinstance(d.get(k), t) or isinstance(d.get(k), bool)
                                      for k, t in types.items())]
    check("every access line has method, target, status, bytes and ms", access and not wrong,
          wrong[:2])
    conf = [d for d in access if d.get("target") == "/conformance" and d.get("status") == 200
            and d.get("method") == "GET"]
    check("the access log has the %d GET /conformance 200 lines (%d)" %
          (want_conformance, len(conf)), len(conf) == want_conformance)
    odd = [d for d in access if "\ufffd" in d.get("target", "") or "\\" in d.get("target", "") or
           "\u00ff" in d.get("target", "")]
    check("a target with raw 0xff, a quote and a backslash is logged as valid JSON too",
          any(d.get("status") == 400 for d in odd), odd[:2])
    done()


def cmd_geojson(path, count):
    try:
        d = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        check("the body is JSON", False, e)
        done()
    feats = d.get("features") if isinstance(d, dict) else None

    def finite(c):
        if isinstance(c, (int, float)) and not isinstance(c, bool):
            return math.isfinite(c)
        return isinstance(c, list) and len(c) > 0 and all(finite(x) for x in c)

    def lonlat(c):
        if c and isinstance(c[0], (int, float)):
            return -180 <= c[0] <= 180 and -90 <= c[1] <= 90
        return all(lonlat(x) for x in c)

    good = isinstance(d, dict) and d.get("type") == "FeatureCollection" and \
        isinstance(feats, list) and len(feats) == count and all(
            f.get("type") == "Feature" and isinstance(f.get("geometry"), dict) and
            f["geometry"].get("type") in ("Polygon", "MultiPolygon") and
            finite(f["geometry"].get("coordinates")) and lonlat(f["geometry"]["coordinates"])
            for f in feats)
    check("a GeoJSON FeatureCollection of %d (multi)polygons with finite lon/lat coordinates "
          "(got %s)" % (count, len(feats) if isinstance(feats, list) else None), good)
    done()


def main():
    a = sys.argv[1:]
    cmds = {
        "slow": lambda: cmd_slow(int(a[1]), float(a[2])),
        "iplimit": lambda: cmd_iplimit(int(a[1]), int(a[2])),
        "connlimit": lambda: cmd_connlimit(int(a[1]), int(a[2])),
        "idle": lambda: cmd_idle(int(a[1]), float(a[2])),
        "fire": lambda: cmd_fire(int(a[1]), *a[2:3]),
        "gzipstall": lambda: cmd_gzipstall(int(a[1]), float(a[2])),
        "heavy": lambda: cmd_heavy(int(a[1]), float(a[2]), int(a[3]), int(a[4])),
        "cost": lambda: cmd_cost(int(a[1])),
        "deadline": lambda: cmd_deadline(int(a[1]), float(a[2]), float(a[3])),
        "metrics": lambda: cmd_metrics(int(a[1]), int(a[2]), int(a[3])),
        "jsonlog": lambda: cmd_jsonlog(a[1], int(a[2])),
        "geojson": lambda: cmd_geojson(a[1], int(a[2])),
    }
    if not a or a[0] not in cmds:
        sys.exit(__doc__)
    cmds[a[0]]()


if __name__ == "__main__":
    main()
