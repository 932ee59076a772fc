#!/usr/bin/env bash
# Two coopmap instances behind nginx running tools/deploy/nginx.conf (its
# addresses and paths replaced): the same bytes and ETags from both; a
# repeated tile is a cache HIT; a revalidation through the proxy is a 304;
# one instance killed loses no request; a SIGHUP with new data on both
# changes the ETags and nginx serves the new tile once its entry is stale.
# Exits 77 (skipped) without nginx, except in CI.
. "$(dirname "$0")/lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
need nginx test -x "$NGINX"
free_port() { $PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

# Two instances on a copy of the data (the test changes it later).
cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
PIDS=()
start_instance() { # start_instance N: instance N on a free port, in PORT[N]
    "$COOPMAP_BIN" serve --project "$WORK/data/coopmap.json" --listen "127.0.0.1:0" --quiet \
        --cache-control "public, max-age=2" --base-url http://maps.example \
        >"$WORK/c$1.out" 2>"$WORK/c$1.err" &
    PIDS[$1]=$!
    for _ in $(seq 1 100); do
        PORT[$1]=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/c$1.out" 2>/dev/null | head -1 | cut -d: -f2 || true)
        [ -n "${PORT[$1]}" ] && return 0
        sleep 0.1
    done
    echo "instance $1 did not start"; cat "$WORK/c$1.err"; exit 1
}
declare -a PORT
start_instance 1
start_instance 2
NPORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/cache"
chmod 755 "$WORK"
sed -e "s#server 127.0.0.1:8081#server 127.0.0.1:${PORT[1]}#" \
    -e "s#server 127.0.0.1:8082#server 127.0.0.1:${PORT[2]}#" \
    -e "s#listen 80;#listen 127.0.0.1:$NPORT;#" \
    -e "s#/var/cache/nginx/coopmap#$WORK/nginx/cache#" \
    -e "s#^worker_processes auto;#worker_processes 2; daemon off; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/logs/error.log;#" \
    -e "s#^http {#http { access_log $WORK/nginx/logs/access.log; client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp; fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;#" \
    "$COOPMAP_ROOT/tools/deploy/nginx.conf" >"$WORK/nginx/nginx.conf"
mkdir -p "$WORK/nginx/tmp"
[ "$(id -u)" = 0 ] && chown -R www-data "$WORK/nginx/cache" "$WORK/nginx/tmp" 2>/dev/null || true
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx/stderr" &
NGINX_PID=$!
stop_all() {
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    cleanup
}
trap stop_all EXIT
for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$NPORT/health" && break
    sleep 0.1
done
get() { # get URL FILE: body in FILE, headers in FILE.h
    curl -s --max-time 20 -D "$2.h" -o "$2" "$1"
}
hdr() { grep -i "^$1:" "$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

PATHS=(/tiles/default/9/279/180.png "/collections/towns/items?limit=100" "/network?model=mst"
    "/distances?from=Ptuj" /collections)
for i in "${!PATHS[@]}"; do
    get "http://127.0.0.1:${PORT[1]}${PATHS[$i]}" "$WORK/a$i"
    get "http://127.0.0.1:${PORT[2]}${PATHS[$i]}" "$WORK/b$i"
    check "both instances: same bytes for ${PATHS[$i]}" cmp -s "$WORK/a$i" "$WORK/b$i"
    check "both instances: same ETag for ${PATHS[$i]} ($(hdr etag "$WORK/a$i.h"))" \
        test -n "$(hdr etag "$WORK/a$i.h")" -a "$(hdr etag "$WORK/a$i.h")" = "$(hdr etag "$WORK/b$i.h")"
done

T=/tiles/default/10/558/361.png
N="http://127.0.0.1:$NPORT"
get "$N$T" "$WORK/t1"
get "$N$T" "$WORK/t2"
check "first tile through nginx: MISS ($(hdr x-cache-status "$WORK/t1.h"))" test "$(hdr x-cache-status "$WORK/t1.h")" = MISS
check "repeated tile: HIT ($(hdr x-cache-status "$WORK/t2.h"))" test "$(hdr x-cache-status "$WORK/t2.h")" = HIT
check "the cached tile is the instance's" sh -c "curl -s http://127.0.0.1:${PORT[1]}$T | cmp -s - '$WORK/t2'"
ETAG=$(hdr etag "$WORK/t2.h")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$N$T")
check "If-None-Match through nginx: 304 (got $code)" test "$code" = 304
sleep 3.5 # stale now (max-age=2; nginx counts whole seconds): it asks with If-None-Match
get "$N$T" "$WORK/t3"
check "a stale entry is revalidated ($(hdr x-cache-status "$WORK/t3.h")), same tile" \
    sh -c "test '$(hdr x-cache-status "$WORK/t3.h")' = REVALIDATED && cmp -s '$WORK/t1' '$WORK/t3'"

# One instance dies: nginx retries every request on the other.
kill -KILL "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null || true
bad=0
for i in $(seq 0 39); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$N/collections/towns/items?limit=1&offset=$i")
    [ "$code" = 200 ] || bad=$((bad + 1))
done
check "instance 1 killed: 40 uncached requests through nginx, none lost ($bad failed)" test "$bad" -eq 0
start_instance 1
# (the new instance has a new port: point nginx at it and reload nginx)
$PY - "$WORK/nginx/nginx.conf" "${PORT[1]}" "${PORT[2]}" <<'EOF'
import re, sys
p, a, b = sys.argv[1:]
s = open(p).read()
ports = iter([a, b])
s = re.sub(r"server 127\.0\.0\.1:\d+ max_fails", lambda m: "server 127.0.0.1:%s max_fails" % next(ports), s)
open(p, "w").write(s)
EOF
kill -HUP "$NGINX_PID"
sleep 1

# New data on both instances: the towns move a little, SIGHUP.
$PY - "$WORK/data/cities.geojson" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["features"]:
    f["geometry"]["coordinates"][0] += 0.01
json.dump(d, open(sys.argv[1], "w"))
EOF
OLD_ETAG=$ETAG
kill -HUP "${PIDS[1]}" "${PIDS[2]}"
sleep 1.5
get "http://127.0.0.1:${PORT[1]}$T" "$WORK/n1"
get "http://127.0.0.1:${PORT[2]}$T" "$WORK/n2"
check "after SIGHUP with new data the ETag changes ($OLD_ETAG -> $(hdr etag "$WORK/n1.h"))" \
    sh -c "test '$(hdr etag "$WORK/n1.h")' != '$OLD_ETAG' && test '$(hdr etag "$WORK/n1.h")' = '$(hdr etag "$WORK/n2.h")'"
sleep 3.5
get "$N$T" "$WORK/t4"
check "nginx serves the new tile after revalidation ($(hdr x-cache-status "$WORK/t4.h"))" \
    sh -c "cmp -s '$WORK/t4' '$WORK/n1' && test '$(hdr etag "$WORK/t4.h")' = '$(hdr etag "$WORK/n1.h")'"
finish
