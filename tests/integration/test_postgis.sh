#!/usr/bin/env bash
# PostGIS as the data source: a private PostgreSQL 15 + PostGIS 3 cluster
# (initdb/pg_ctl, a Unix socket in the work directory, no TCP), loaded by
# tools/load-postgis; the service loaded from it must answer collections,
# tiles, networks and distances with the same bytes and ETags as when
# loaded from geodata/; the database down at start (exit 1, one line, no
# password) and during a reload (old data keeps serving); the password
# never shows. Exits 77 (skipped) without PostgreSQL, except in CI.
. "$(dirname "$0")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
need "PostgreSQL 15 (postgresql-15-postgis-3)" test -x "$PGBIN/initdb"
for tool in psql ogr2ogr; do need $tool command -v $tool; done
need "PostGIS 3" test -f /usr/share/postgresql/15/extension/postgis.control

# PostgreSQL refuses to run as root: the cluster belongs to an unprivileged
# user (postgres from the package, or nobody).
PGUSER_OS=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }
PG="$WORK/pg"
chmod 755 "$WORK"
mkdir -p "$PG/data" "$PG/sock"
[ "$(id -u)" = 0 ] && chown -R "$PGUSER_OS" "$PG"
as_pg "$PGBIN/initdb" -D "$PG/data" -A trust -U coopmap >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log"; exit 1; }
PGPORT=$($PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
pg_start() {
    as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/sock/log" -w -t 30 \
        -o "-k $PG/sock -p $PGPORT -c listen_addresses=''" start >/dev/null
}
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PG/data" -w -m fast stop >/dev/null 2>&1 || true; }
trap 'pg_stop; cleanup' EXIT
pg_start
CONN="host=$PG/sock port=$PGPORT dbname=geo user=coopmap"
psql -q "host=$PG/sock port=$PGPORT dbname=postgres user=coopmap" -c "CREATE DATABASE geo"
psql -q "$CONN" -c "CREATE EXTENSION postgis"

# A password in the connection string (trust does not check it) must never
# be shown.
SECRET="s3cret-$RANDOM"
(cd "$WORK" && "$COOPMAP_ROOT/tools/load-postgis" "$CONN" "$WORK/pg.json") >"$WORK/load.log" 2>&1 ||
    { cat "$WORK/load.log"; exit 1; }
check "tools/load-postgis loads the five layers" test "$(grep -c ' rows)' "$WORK/load.log")" -eq 5
check "the towns table has a primary key and a GiST index" \
    test "$(psql -tAq "$CONN" -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'coopmap'
        AND tablename = 'towns' AND (indexdef LIKE '%USING gist%' OR indexdef LIKE '%UNIQUE%')")" -ge 2
# The project from the database, password added, one layer through SQL.
$PY - "$WORK/pg.json" "$SECRET" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
for l in p["layers"]:
    assert l["source"].startswith("PG:")
    l["source"] += " password=" + sys.argv[2]
    if l["id"] == "regions":  # a query instead of a table
        l["sql"] = "SELECT * FROM " + l.pop("layer") + " ORDER BY ogc_fid"
json.dump(p, open(sys.argv[1], "w"), indent=1)
EOF

PATHS=(/collections /collections/towns/items "/collections/regions/items?limit=100"
    /collections/countries/items /collections/rivers/items /collections/ties/items
    "/collections/network/items?limit=100" /collections/towns/items/3 "/network?model=mst"
    "/network/metrics?model=knn&k=3" "/distances?from=Ptuj,Lendava" /tiles/default/9/279/180.png
    /tiles/default/11/1117/722.png /tiles/light/10/558/361.png "/map.png?bbox=15.5,46.3,16.9,47.5&width=400&height=300")
fetch_all() { # fetch_all DIR: bodies and ETags of PATHS from the running server
    mkdir -p "$1"
    local i=0 p
    for p in "${PATHS[@]}"; do
        curl -s -D "$1/$i.h" -o "$1/$i.b" --max-time 20 "${BASE%/}$p"
        grep -i '^etag:' "$1/$i.h" | tr -d '\r' >"$1/$i.etag" || true
        i=$((i + 1))
    done
}
start_server --project "$WORK/pg.json" --base-url http://maps.example
PG_PID=$SERVER_PID PG_BASE=$BASE
cp "$WORK/server.err" "$WORK/pg-server.err"
fetch_all "$WORK/from-pg"
http GET /health
PG_VERSION=$(json "d['data_version']")
check "/health shows no password" sh -c "! grep -q '$SECRET' '$WORK/body'"
SERVER_PID=""
start_server --project "$COOPMAP_ROOT/geodata/coopmap.json" --base-url http://maps.example
fetch_all "$WORK/from-files"
http GET /health
check "the same data version from PostGIS as from geodata/ ($PG_VERSION)" \
    test "$(json "d['data_version']")" = "$PG_VERSION"
stop_server
for i in "${!PATHS[@]}"; do
    check "same bytes from PostGIS and files: ${PATHS[$i]}" cmp -s "$WORK/from-pg/$i.b" "$WORK/from-files/$i.b"
    check "same ETag: ${PATHS[$i]} ($(cat "$WORK/from-pg/$i.etag"))" \
        sh -c "test -s '$WORK/from-pg/$i.etag' && cmp -s '$WORK/from-pg/$i.etag' '$WORK/from-files/$i.etag'"
done

# The database goes away; a reload keeps the old data.
SERVER_PID=$PG_PID BASE=$PG_BASE
pg_stop
kill -HUP "$SERVER_PID"
for _ in $(seq 1 50); do
    grep -q 'reload failed' "$WORK/server.err" 2>/dev/null && break
    sleep 0.1
done
cat "$WORK/server.err" >>"$WORK/pg-server.err"
check "a reload without the database is logged as failed" grep -q 'reload failed.*cannot connect to the database' "$WORK/server.err"
http GET "/collections/towns/items?limit=100"
check "the old data keeps serving (200, 24 towns)" test "$STATUS" = 200 -a "$(json "len(d['features'])")" = 24
http GET /health
check "/health still names the version served" test "$(json "d['data_version']")" = "$PG_VERSION"
check "/health shows no password after the failed reload" sh -c "! grep -q '$SECRET' '$WORK/body'"
stop_server
check "no password in the server's log" sh -c "! grep -q '$SECRET' '$WORK/pg-server.err' '$WORK/server.out'"
check "the log shows the connection with the password hidden" grep -q 'password=\*\*\*' "$WORK/pg-server.err"

# The database down at start: exit 1, one line naming the connection and
# the cause, no password.
status=0
"$COOPMAP_BIN" serve --project "$WORK/pg.json" --listen 127.0.0.1:0 >"$WORK/down.out" 2>"$WORK/down.err" || status=$?
check "the database down at start: exit status 1 (got $status)" test "$status" -eq 1
check "one line" test "$(grep -cv '^$' "$WORK/down.err")" -eq 1
check "naming the connection and the cause" grep -q "PG:host=$PG/sock.*cannot connect to the database.*$PG/sock" "$WORK/down.err"
check "without the password" sh -c "! grep -q '$SECRET' '$WORK/down.err'"
finish
