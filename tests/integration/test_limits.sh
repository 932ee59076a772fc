#!/usr/bin/env bash
# What clients may hold and cost, measured against the real server: slow
# clients and the head timeout, per-address and global connection limits,
# the idle timeout, heavy work beside cheap requests (bounded queue, 503 +
# Retry-After), cost limits (413) and deadlines (503), bad data on reload
# and at start, /ready, /metrics in the Prometheus format and JSON logs.
# The measuring is done by limits.py; each server is started with small
# limits so the test stays fast.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
LIMITS="$HERE/limits.py"

# The sanitizer build runs 3-10x slower: a looser latency budget there.
if ldd "$COOPMAP_BIN" 2>/dev/null | grep -q libasan; then
    SAN=1 HEALTH_MS=300 DEADLINE_MAX=3.0
else
    SAN=0 HEALTH_MS=100 DEADLINE_MAX=2.0
fi
echo "# build: $([ $SAN = 1 ] && echo sanitizers || echo release); /health budget under load ${HEALTH_MS} ms"

echo "# slow clients: 1,000 idle and trickling connections, --head-timeout 2"
start_server --threads 4 --head-timeout 2
check "slow connections are closed by the head timeout; others are served meanwhile" \
    $PY "$LIMITS" slow "$(server_port)" 2
stop_server

echo "# per-address limit: --max-connections-per-ip 20"
start_server --max-connections-per-ip 20
check "the per-address connection limit holds" $PY "$LIMITS" iplimit "$(server_port)" 20
stop_server

echo "# global limit: --max-connections 50"
start_server --max-connections 50
check "the global connection limit holds" $PY "$LIMITS" connlimit "$(server_port)" 50
stop_server

echo "# idle timeout: --idle-timeout 2 (head timeout 30, so only the idle timeout can act)"
start_server --idle-timeout 2 --head-timeout 30
check "silent connections are closed by the idle timeout" $PY "$LIMITS" idle "$(server_port)" 2
stop_server

$PY "$COOPMAP_ROOT/tools/bench/make-towns" 1000 "$WORK/towns1k" >/dev/null
$PY "$COOPMAP_ROOT/tools/bench/make-towns" 10000 "$WORK/towns10k" >/dev/null

echo "# heavy work against cheap requests: 1,000 towns, --heavy-queue 4 --heavy-timeout 20 --tile-cache 0"
start_server --project "$WORK/towns1k/project.json" --heavy-queue 4 --heavy-timeout 20 \
    --tile-cache 0
check "heavy work does not starve /health or tiles; the overflow is 503 at once" \
    $PY "$LIMITS" heavy "$(server_port)" "$HEALTH_MS" 4 1
stop_server

# A heavy answer is finished (ETag, gzip) where it is queued: that must not
# hold up the HTTP thread. With one HTTP thread every other client would
# wait for it; with more, those that share its thread (keep-alive ones).
# The stall it guards against was over 1 s: its budget is 4x the /health
# one, so other tests sharing the 2 cores cannot make it flake.
echo "# a heavy answer for a gzip client, one HTTP thread: --threads 1 --max-distance-pairs 500000 --request-timeout 30"
start_server --project "$WORK/towns1k/project.json" --threads 1 --max-distance-pairs 500000 \
    --request-timeout 30
check "gzipping a heavy answer does not stall the HTTP thread" \
    $PY "$LIMITS" gzipstall "$(server_port)" "$((HEALTH_MS * 4))"
stop_server

echo "# cost limits: --max-distance-pairs 1000 --max-network-cost 1e6"
start_server --project "$WORK/towns1k/project.json" --max-distance-pairs 1000 \
    --max-network-cost 1e6
check "requests over the cost limits are 413" $PY "$LIMITS" cost "$(server_port)"
stop_server

echo "# deadline: 10,000 towns, --heavy-timeout 1"
start_server --project "$WORK/towns10k/project.json" --heavy-timeout 1
check "a computation past its deadline is 503 in about the deadline" \
    $PY "$LIMITS" deadline "$(server_port)" 1 "$DEADLINE_MAX"
stop_server

echo "# bad data on reload (SIGHUP) and at start"
cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
cp "$WORK/data/regions.geojson" "$WORK/regions.good"
cp "$WORK/data/cities.geojson" "$WORK/cities.good"
# set_coord FILE FEATURE_INDEX LON LAT: moves the feature's first vertex
# (after the first, for polygons) to lon,lat.
set_coord() {
    $PY - "$@" <<'PYEOF'
import json, sys
path, i, lon, lat = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
d = json.load(open(path, encoding="utf-8"))
g = d["features"][i]["geometry"]
if g["type"] == "Point":
    g["coordinates"] = [lon, lat]
else:
    ring = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
    ring[1] = [lon, lat]
json.dump(d, open(path, "w", encoding="utf-8"))
PYEOF
}
reloads_failed() {
    http GET /metrics
    metric_value coopmap_reloads_total 'result="failed"' <"$WORK/body"
}
start_server --project "$WORK/data/coopmap.json"
http GET /health
version=$(json "d['data_version']")

set_coord "$WORK/data/regions.geojson" 5 1e308 46.5
kill -HUP "$SERVER_PID"
check "a reload with a region vertex at [1e308, 46.5] fails" wait_for_log 'reload failed'
line=$(grep 'reload failed' "$WORK/server.err" | head -1)
echo "# $line"
check "the log names the file, the feature and the value" \
    bash -c "echo \"\$1\" | grep -qE 'regions\.geojson.*feature 5.*1e\+308'" _ "$line"
http GET /health
check "/health keeps the old data version ($version)" test "$(json "d['data_version']")" = "$version"
http GET '/collections/regions/items?limit=100'
check "regions items are 200 ($STATUS)" test "$STATUS" = 200
check "... with valid GeoJSON: 40 regions, finite lon/lat" $PY "$LIMITS" geojson "$WORK/body" 40
check "coopmap_reloads_total{result=\"failed\"} is 1" test "$(reloads_failed)" = 1

cp "$WORK/regions.good" "$WORK/data/regions.geojson"
set_coord "$WORK/data/cities.geojson" 3 16.05 95
kill -HUP "$SERVER_PID"
for _ in $(seq 1 50); do
    [ "$(grep -c 'reload failed' "$WORK/server.err")" -ge 2 ] && break
    sleep 0.1
done
line=$(grep 'reload failed' "$WORK/server.err" | sed -n 2p)
echo "# $line"
check "a reload with a town at latitude 95 fails, naming the file, the feature and the value" \
    bash -c "echo \"\$1\" | grep -qE 'cities\.geojson.*towns.*feature 3.*95'" _ "$line"
http GET /health
check "/health still has the old data version and 24 towns" \
    test "$(json "d['data_version']"),$(json "d['layers']['towns']")" = "$version,24"
check "coopmap_reloads_total{result=\"failed\"} is 2" test "$(reloads_failed)" = 2
cp "$WORK/cities.good" "$WORK/data/cities.geojson"
kill -HUP "$SERVER_PID"
check "a reload of the repaired data succeeds" wait_for_log 'reloaded: data version'
http GET /metrics
check "coopmap_reloads_total{result=\"ok\"} is 1" \
    test "$(metric_value coopmap_reloads_total 'result="ok"' <"$WORK/body")" = 1
stop_server

# start_bad LAYER PATTERN: starting on the broken data exits 1 with one line.
start_bad() {
    local status=0
    timeout 60 "$COOPMAP_BIN" serve --listen 127.0.0.1:0 --project "$WORK/data/coopmap.json" \
        >"$WORK/bad.out" 2>"$WORK/bad.err" || status=$?
    echo "# exit $status: $(cat "$WORK/bad.err")"
    check "starting on the bad $1 exits with status 1 (got $status)" test "$status" = 1
    check "... and one line naming the layer, the feature and the value" \
        bash -c "[ \$(wc -l <'$WORK/bad.err') = 1 ] && grep -qE \"\$1\" '$WORK/bad.err'" _ "$2"
}
set_coord "$WORK/data/regions.geojson" 5 1e308 46.5
start_bad regions "layer 'regions'.*feature 5.*1e\+308"
cp "$WORK/regions.good" "$WORK/data/regions.geojson"
set_coord "$WORK/data/cities.geojson" 3 16.05 95
start_bad towns "layer 'towns'.*feature 3.*95"

echo "# /ready, /metrics, JSON access log: --log-format json --tile-queue 77 --heavy-queue 5"
start_server --log-format json --tile-queue 77 --heavy-queue 5
check "/ready and /metrics answer as documented" $PY "$LIMITS" metrics "$(server_port)" 77 5
stop_server
check "with --log-format json every stderr line is a JSON object; access lines are complete" \
    $PY "$LIMITS" jsonlog "$WORK/server.err" 7
finish
