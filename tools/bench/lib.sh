# shellcheck shell=bash disable=SC2034  # (globals set here are read by the sourcing script)
# Shared shell functions of the HTTP benchmarks tools/bench/oapif and
# tools/bench/tiles: work directory and cleanup, MapServer behind nginx,
# coopmap, wrk. Sourced, never run; the caller sets, before sourcing:
#   BENCH_NAME   prefix of the messages ("oapif", "tiles")
#   HERE, ROOT   tools/bench and the repository
# and, before calling the functions that use them, MAPSERV, MAPSERV_PROCS,
# COOPMAP_BIN, COOPMAP_THREADS, KEEP_WORK (see each function).
#
# Every process the functions start is recorded (WRK_PID, COOPMAP_PIDS,
# NGINX_PIDS, MAPSERV_PIDS) and stopped by bench_cleanup, which
# bench_work_dir installs as the EXIT trap. Nothing is stopped by name.

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { say "$*"; exit 3; }

# require_whole_numbers VAR... : each named variable holds 0, 1, 2 ...
require_whole_numbers() {
    local v
    for v in "$@"; do
        [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$BENCH_NAME: $v must be a whole number, got '${!v}'" >&2; exit 3; }
    done
}

# require_tools BIN... : dies naming the missing ones
require_tools() {
    local bin missing=()
    for bin in "$@"; do
        command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || missing+=("$bin")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run tools/bench/setup-mapserver first"
}

# builds coopmap with cmake when COOPMAP_BIN is missing
ensure_coopmap() {
    if [ ! -x "$COOPMAP_BIN" ]; then
        say "no $COOPMAP_BIN: building coopmap (cmake, $ROOT/build)"
        cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
        cmake --build "$ROOT/build" -j "$(nproc)" --target coopmap >/dev/null
        [ -x "$COOPMAP_BIN" ] || die "build did not produce $COOPMAP_BIN"
    fi
}

# ---------------------------------------------------------------- work dir, cleanup
NGINX="" # set by bench_work_dir
WRK_PID=""
COOPMAP_PIDS=()
NGINX_PIDS=()
MAPSERV_PIDS=()
OWN_WORK=0     # 1: we made the work directory, so we may remove it
FAILED_SETUP=1 # the caller sets 0 once everything is up

# bench_work_dir TEMPLATE: WORK = $BENCH_WORK (kept) or a new mktemp -d
# TEMPLATE; makes logs/ and tmp/ and installs the traps.
bench_work_dir() {
    if [ -n "${BENCH_WORK:-}" ]; then
        WORK=$BENCH_WORK
        mkdir -p "$WORK"
    else
        WORK=$(mktemp -d "$1")
        OWN_WORK=1
    fi
    WORK=$(cd "$WORK" && pwd)
    # nginx workers drop to an unprivileged user when started as root: they
    # must reach the FastCGI socket (and static files) in here.
    chmod 755 "$WORK"
    mkdir -p "$WORK/logs" "$WORK/tmp"
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# is_alive PID: running and not a zombie (exited, not yet reaped)
is_alive() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# kill_exe SIGNAL EXE PID...: only processes whose executable is EXE
kill_exe() {
    local sig=$1 exe pid
    exe=$(readlink -f "$2")
    shift 2
    for pid in "$@"; do
        [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && kill "-$sig" "$pid" 2>/dev/null || true
    done
}

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$WRK_PID" ] && kill -TERM "$WRK_PID" 2>/dev/null || true
    local pid
    for pid in "${COOPMAP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # nginx's workers, by pid, in case a master has to be killed
    local nginx_workers=""
    for pid in "${NGINX_PIDS[@]}"; do
        nginx_workers="$nginx_workers $(ps -o pid= --ppid "$pid" 2>/dev/null || true)"
        kill -TERM "$pid" 2>/dev/null || true
    done
    # only what spawn-fcgi started for us: a mapserv process with that pid
    [ ${#MAPSERV_PIDS[@]} -eq 0 ] || kill_exe TERM "$MAPSERV" "${MAPSERV_PIDS[@]}"
    # give them a moment, then make sure
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for pid in $WRK_PID "${COOPMAP_PIDS[@]}" "${NGINX_PIDS[@]}" $nginx_workers "${MAPSERV_PIDS[@]}"; do
            is_alive "$pid" && alive=1
        done
        [ $alive -eq 0 ] && break
        sleep 0.2
    done
    [ -n "$WRK_PID" ] && kill -KILL "$WRK_PID" 2>/dev/null || true
    for pid in "${COOPMAP_PIDS[@]}" "${NGINX_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    # shellcheck disable=SC2086
    [ -z "${nginx_workers// /}" ] || kill_exe KILL "$NGINX" $nginx_workers
    [ ${#MAPSERV_PIDS[@]} -eq 0 ] || kill_exe KILL "$MAPSERV" "${MAPSERV_PIDS[@]}"
    wait 2>/dev/null || true
    if [ "$OWN_WORK" = 0 ]; then
        :  # BENCH_WORK: the caller's directory, left as it is
    elif [ "$KEEP_WORK" = 1 ] || [ $rc -ne 0 ] || [ $FAILED_SETUP -ne 0 ]; then
        say "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}

# ---------------------------------------------------------------- network helpers
# A port on 127.0.0.1 nobody listens on (random, checked; nginx start retries
# on a clash).
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# waits until URL answers (any HTTP status), at most $2 seconds
wait_http() {
    local url=$1 secs=${2:-10}
    for _ in $(seq 1 $((secs * 10))); do
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- MapServer
# write_mapserver_conf ALIAS MAPFILE: $WORK/mapserver.conf with one MAPS alias
write_mapserver_conf() {
    cat >"$WORK/mapserver.conf" <<EOF
# generated by tools/bench/$BENCH_NAME
CONFIG
  ENV
    # only the alias below, never a path from the request
    MS_MAP_NO_PATH "1"
  END
  MAPS
    $1 "$2"
  END
END
EOF
}

# start_mapserv: spawn-fcgi with MAPSERV_PROCS mapserv processes on the Unix
# socket MS_SOCK (= $WORK/mapserv.sock), reading $WORK/mapserver.conf
MS_SOCK=""
start_mapserv() {
    MS_SOCK="$WORK/mapserv.sock"
    rm -f "$MS_SOCK" "$WORK/mapserv.pids"
    # mapserv runs as the invoking user (it reads geodata/ from the clone);
    # the socket is 0666 for nginx's workers, which drop to nobody under root
    MAPSERVER_CONFIG_FILE="$WORK/mapserver.conf" MS_ERRORFILE="$WORK/logs/mapserv-error.log" \
        spawn-fcgi -s "$MS_SOCK" -M 0666 -F "$MAPSERV_PROCS" -P "$WORK/mapserv.pids" \
        -d "$WORK" -- "$MAPSERV" >"$WORK/logs/spawn-fcgi.log" 2>&1 ||
        { cat "$WORK/logs/spawn-fcgi.log" >&2; die "spawn-fcgi failed"; }
    mapfile -t MAPSERV_PIDS < <(grep -E '^[0-9]+$' "$WORK/mapserv.pids" || true)
    [ ${#MAPSERV_PIDS[@]} -eq "$MAPSERV_PROCS" ] ||
        die "spawn-fcgi started ${#MAPSERV_PIDS[@]} of $MAPSERV_PROCS mapserv processes"
}

# $WORK/fastcgi-mapserv.params, included by each nginx location that passes
# to mapserv
write_fastcgi_params() {
    cat >"$WORK/fastcgi-mapserv.params" <<'EOF'
# every FastCGI parameter in one file that each location includes: a
# fastcgi_param inside a location stops the server-level ones from being
# inherited (mapserv would then get no REQUEST_METHOD)
fastcgi_param QUERY_STRING      $query_string;
fastcgi_param REQUEST_METHOD    $request_method;
fastcgi_param CONTENT_TYPE      $content_type;
fastcgi_param CONTENT_LENGTH    $content_length;
fastcgi_param SCRIPT_NAME       $fastcgi_script_name;
fastcgi_param PATH_INFO         $fastcgi_path_info;
fastcgi_param REQUEST_URI       $request_uri;
fastcgi_param DOCUMENT_URI      $document_uri;
fastcgi_param SERVER_PROTOCOL   $server_protocol;
fastcgi_param GATEWAY_INTERFACE CGI/1.1;
fastcgi_param REMOTE_ADDR       $remote_addr;
fastcgi_param REMOTE_PORT       $remote_port;
fastcgi_param SERVER_ADDR       $server_addr;
fastcgi_param SERVER_PORT       $server_port;
fastcgi_param SERVER_NAME       $server_name;
EOF
}

# ---------------------------------------------------------------- nginx
# start_nginx NAME WRITER: nginx -p $WORK -c $WORK/NAME.conf on a free
# 127.0.0.1 port. WRITER PORT CONF writes the configuration (daemon off, pid
# $WORK/NAME.pid, a `location = /nginx-alive`). Sets STARTED_PID and
# STARTED_PORT; records the pid for bench_cleanup. Logs: $WORK/logs/NAME-*.
start_nginx() {
    local name=$1 writer=$2 try port pid conf="$WORK/$1.conf"
    for try in 1 2 3 4 5; do
        port=$(free_port) || die "no free port found"
        "$writer" "$port" "$conf"
        "$NGINX" -t -q -p "$WORK" -c "$conf" -e "$WORK/logs/$name-error.log" \
            2>"$WORK/logs/$name-test.log" ||
            { cat "$WORK/logs/$name-test.log" >&2; die "nginx rejects $conf"; }
        "$NGINX" -p "$WORK" -c "$conf" -e "$WORK/logs/$name-error.log" \
            >"$WORK/logs/$name.out" 2>&1 &
        pid=$!
        NGINX_PIDS+=("$pid")
        if wait_http "http://127.0.0.1:$port/nginx-alive" 10; then
            STARTED_PID=$pid
            STARTED_PORT=$port
            return 0
        fi
        kill -0 "$pid" 2>/dev/null && { kill -QUIT "$pid" 2>/dev/null || true; }
        wait "$pid" 2>/dev/null || true
        unrecord_nginx "$pid"
        say "nginx did not start on port $port (try $try):"
        tail -3 "$WORK/logs/$name-error.log" >&2 || true
    done
    die "nginx would not start"
}

unrecord_nginx() {
    local p keep=()
    for p in "${NGINX_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    NGINX_PIDS=("${keep[@]}")
}

# The http{} lines every generated nginx.conf starts with (temp paths in
# $WORK, no access log, long keep-alive for wrk).
nginx_http_common() {
    cat <<EOF
    access_log off;
    default_type application/octet-stream;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $WORK/tmp/body;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    proxy_temp_path $WORK/tmp/proxy;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
EOF
}

# ---------------------------------------------------------------- coopmap
# start_coopmap NAME [OPTION...]: build/coopmap serve on the shipped project,
# 127.0.0.1, a free port, COOPMAP_THREADS threads, plus the given options.
# Sets STARTED_PID and STARTED_URL (no trailing /) and returns 0; returns 1
# when it exits or prints no URL within 30 s (its stderr is in
# $WORK/logs/NAME.err). Output: $WORK/logs/NAME.out.
start_coopmap() {
    local name=$1 out="$WORK/logs/$1.out" url="" pid
    shift
    (cd "$ROOT" && exec "$COOPMAP_BIN" serve --project "$ROOT/geodata/coopmap.json" \
        --listen 127.0.0.1:0 --quiet --threads "$COOPMAP_THREADS" "$@") \
        >"$out" 2>"$WORK/logs/$name.err" &
    pid=$!
    COOPMAP_PIDS+=("$pid")
    for _ in $(seq 1 300); do
        url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$out" 2>/dev/null | head -1 || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$url" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 1
    fi
    STARTED_PID=$pid
    STARTED_URL=${url%/}
}

# tile_list LON0 LON1 LAT0 LAT1 Z0 Z1: every XYZ tile whose extent meets the
# box, z by z, as "z x y" lines on stdout (the lists of tiles, ab, proxy)
tile_list() {
    python3 - "$@" <<'EOF'
import math, sys
lon0, lon1, lat0, lat1 = map(float, sys.argv[1:5])
z0, z1 = int(sys.argv[5]), int(sys.argv[6])
def tx(lon, z):
    return min(2**z - 1, int(math.floor((lon + 180.0) / 360.0 * 2**z)))
def ty(lat, z):
    r = math.radians(lat)
    return min(2**z - 1, int(math.floor((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * 2**z)))
for z in range(z0, z1 + 1):
    for x in range(tx(lon0, z), tx(lon1, z) + 1):
        for y in range(ty(lat1, z), ty(lat0, z) + 1):
            print(z, x, y)
EOF
}

# ---------------------------------------------------------------- measuring
# percent of CPU time not idle over one second, from /proc/stat
cpu_busy() {
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[1] - x[1];
        printf "%d\n", (t > 0 ? 100 * (1 - (y[2] - x[2]) / t) : 0)}'
}

# both sides and wrk share the cores: anything else running skews the figures
warn_if_busy() {
    local busy
    busy=$(cpu_busy)
    if [ "$busy" -gt 15 ]; then
        say "note: the CPU is ${busy}% busy before the run (other processes): figures will be noisier"
    fi
}

# median of the numbers on stdin, one a line ("-" for none)
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# wrk_bg LOG SECONDS WRK-ARGUMENT...: wrk -tWRK_THREADS -cWRK_CONNECTIONS
# -dSECONDS under timeout, in the background so that a signal to the script
# is handled at once; output in LOG.
wrk_bg() {
    local log=$1 secs=$2
    shift 2
    timeout $((secs + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${secs}s" --timeout 5s \
        "$@" >"$log" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || true
    WRK_PID=""
}

# wrk_result LOG: fills the associative array R from the last
# "WRKCHECK key=value ..." line of LOG; returns 1 when there is none
declare -A R=()
wrk_result() {
    local line kv
    R=()
    line=$(grep '^WRKCHECK ' "$1" | tail -1 || true)
    [ -n "$line" ] || return 1
    for kv in ${line#WRKCHECK }; do R[${kv%%=*}]=${kv#*=}; done
}
