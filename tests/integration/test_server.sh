#!/usr/bin/env bash
# The real server on 127.0.0.1: /health, JSON errors, methods, hostile
# requests, reload that never half-loads, clean shutdown on SIGTERM.
. "$(dirname "$0")/lib.sh"

# A private copy of the default project, so the reload test can change it.
cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
start_server --project "$WORK/data/coopmap.json" --threads 2

http GET /health
check "/health is 200" test "$STATUS" = 200
check "/health is JSON" test "$(header Content-Type)" = application/json
check "/health says ok" test "$(json "d['status']")" = ok
check "/health counts 24 towns" test "$(json "d['layers']['towns']")" = 24
check "/health counts 40 regions" test "$(json "d['layers']['regions']")" = 40
expected=$("$COOPMAP_BIN" info --json --project "$WORK/data/coopmap.json" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["data_version"])')
version=$(json "d['data_version']")
check "/health data version matches coopmap info ($version)" test "$version" = "$expected"

http GET /no/such/thing
check "unknown path is 404" test "$STATUS" = 404
check "404 body is the JSON exception" test "$(json "d['code']")" = NotFound
check "404 names the path" bash -c "grep -q '/no/such/thing' '$WORK/body'"
check "404 is JSON" test "$(header Content-Type)" = application/json

http POST /health --data 'x=1'
check "POST is 405" test "$STATUS" = 405
check "405 lists allowed methods" test "$(header Allow)" = "GET, HEAD, OPTIONS"
check "405 body is JSON" test "$(json "d['code']")" = MethodNotAllowed

head_out=$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' --max-time 10 "${BASE}health")
check "HEAD is 200 with no body ($head_out)" test "$head_out" = "200 0"

http GET '/health/../../etc/passwd' --path-as-is
check "path traversal is 404" test "$STATUS" = 404
http GET "/$(head -c 3000 /dev/zero | tr '\0' a)"
check "long path is 404 JSON" test "$(json "d['code']")" = NotFound

# Oversize heads are refused without harming the server: JSON up to the
# connection pool (4 x 16 KiB), libmicrohttpd's own 431 beyond it.
big=$(head -c 20000 /dev/zero | tr '\0' x)
http GET /health -H "X-Big: $big"
check "20 KB header is 431" test "$STATUS" = 431
check "431 body is the JSON exception" test "$(json "d['code']")" = RequestHeaderFieldsTooLarge
big=$(head -c 100000 /dev/zero | tr '\0' x)
http GET /health -H "X-Big: $big"
check "100 KB header is 431 ($STATUS)" test "$STATUS" = 431
http GET /health
check "server still answers after oversize heads" test "$STATUS" = 200

# A client that connects and sends half a request must not block others.
exec 3<>"/dev/tcp/127.0.0.1/$(echo "$BASE" | sed 's#.*:\([0-9]*\)/#\1#')"
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&3
http GET /health
check "server answers while a slow client holds a connection" test "$STATUS" = 200
exec 3>&-

# 200 requests on 8 parallel connections all succeed.
seq 1 200 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
    "${BASE}health" >"$WORK/codes"
check "200 parallel requests all 200" test "$(grep -c '^200$' "$WORK/codes")" = 200

# Reload: a good change is picked up; a broken file keeps the old data.
$PY - "$WORK/data/cities.geojson" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"] = d["features"][:20]
json.dump(d, open(sys.argv[1], "w"))
PYEOF
kill -HUP "$SERVER_PID"
for i in $(seq 1 50); do
    http GET /health
    [ "$(json "d['layers']['towns']")" = 20 ] && break
    sleep 0.1
done
check "SIGHUP reload picks up the changed towns" test "$(json "d['layers']['towns']")" = 20
reloaded=$(json "d['data_version']")
check "data version changed on reload" test "$reloaded" != "$version"

echo 'not json {' >"$WORK/data/regions.geojson"
kill -HUP "$SERVER_PID"
for i in $(seq 1 50); do
    grep -q 'reload failed' "$WORK/server.err" && break
    sleep 0.1
done
check "a failed reload is logged with the file" grep -q 'reload failed.*regions.geojson' "$WORK/server.err"
http GET /health
check "after a failed reload the previous data still serves" \
    test "$(json "d['layers']['regions']"),$(json "d['data_version']")" = "40,$reloaded"

check "access log has one line per request" grep -q '"GET /health" 200' "$WORK/server.err"
stop_server
finish
