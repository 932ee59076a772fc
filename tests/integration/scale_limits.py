#!/usr/bin/env python3
"""Heavy requests on large data against cheap ones (standard library only):

    scale_limits.py PORT TILE TIMEOUT_S LATE_S HEALTH_MS TILE_MS

fires four network metrics requests at once, each far beyond TIMEOUT_S of
work, while /health and the tile TILE are asked for every 0.1 s on new
connections. Checks that each heavy request is refused with 503 (a JSON
body and Retry-After) within TIMEOUT_S + LATE_S, and that every /health
and tile meanwhile is 200 within HEALTH_MS and TILE_MS. Prints what it
measured; exits non-zero if a check failed.
"""
import http.client
import json
import sys
import threading
import time

HOST = "127.0.0.1"
HEAVY = ["/network/metrics?model=mst", "/network/metrics?model=knn&k=2",
         "/network/metrics?model=gabriel", "/network/metrics?model=rng"]
FAILURES = 0


def check(what, cond, detail=None):
    global FAILURES
    print(("ok - %s" if cond else "not ok - %s") % what +
          ("" if cond or detail is None else ": %s" % (detail,)))
    FAILURES += not cond


def get(port, target, timeout):
    """(status, headers, body, seconds); status None on a failure."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        c.request("GET", target)
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body, time.monotonic() - t0
    except (OSError, http.client.HTTPException) as e:
        return None, {}, repr(e).encode(), time.monotonic() - t0
    finally:
        c.close()


def sample(port, tile, stop, rows):
    while not stop.is_set():
        t0 = time.monotonic()
        for kind, target in (("health", "/health"), ("tile", tile)):
            status, _, _, secs = get(port, target, 10)
            rows[kind].append((status, secs * 1000))
        stop.wait(max(0.0, 0.1 - (time.monotonic() - t0)))


def exception_body(body):
    try:
        d = json.loads(body)
    except ValueError:
        return None
    ok = isinstance(d, dict) and isinstance(d.get("code"), str) and \
        isinstance(d.get("description"), str)
    return d if ok else None


def summary(rows):
    ms = sorted(m for _, m in rows)
    if not ms:
        return "no samples"
    return "n=%d p50=%.1f ms max=%.1f ms statuses=%s" % (
        len(ms), ms[len(ms) // 2], ms[-1], sorted({s for s, _ in rows}, key=str))


def main():
    port, tile = int(sys.argv[1]), sys.argv[2]
    timeout_s, late_s = float(sys.argv[3]), float(sys.argv[4])
    health_ms, tile_ms = float(sys.argv[5]), float(sys.argv[6])
    rows = {"health": [], "tile": []}
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(port, tile, stop, rows))
    sampler.start()
    time.sleep(0.3)
    results = [None] * len(HEAVY)

    def fire(i):
        results[i] = get(port, HEAVY[i], 120)

    workers = [threading.Thread(target=fire, args=(i,)) for i in range(len(HEAVY))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    time.sleep(0.3)
    stop.set()
    sampler.join()
    for target, (status, headers, body, secs) in zip(HEAVY, results):
        d = exception_body(body)
        print("  %s: %s in %.2fs: %s" % (target, status, secs,
                                        d["description"] if d else body[:200]))
        check("%s is 503 with a JSON body and Retry-After, in %.2fs (< %g s)" %
              (target, secs, timeout_s + late_s),
              status == 503 and d is not None and d["code"] == "ServiceUnavailable" and
              headers.get("retry-after", "").isdigit() and secs < timeout_s + late_s)
    print("  meanwhile /health: %s; tile: %s" % (summary(rows["health"]), summary(rows["tile"])))
    for kind, budget in (("health", health_ms), ("tile", tile_ms)):
        got = rows[kind]
        worst = max((m for _, m in got), default=1e9)
        check("every %s meanwhile is 200 within %g ms (%d samples, max %.1f ms)" %
              (kind, budget, len(got), worst),
              got and all(s == 200 for s, _ in got) and worst < budget)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
