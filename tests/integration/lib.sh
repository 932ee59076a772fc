# Helpers for integration tests: start the real binary on a free port on
# 127.0.0.1, talk to it with curl, stop it and check it ended cleanly.
# Sourced by the test scripts; ctest sets COOPMAP_BIN and COOPMAP_ROOT.
set -euo pipefail

: "${COOPMAP_BIN:?set by ctest}"
: "${COOPMAP_ROOT:?set by ctest}"
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/coopmap-test.XXXXXX)
SERVER_PID=""
BASE=""
FAILURES=0
PASSES=0

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# need WHAT COMMAND...: unless COMMAND succeeds, the test is skipped (exit
# 77) on a developer's machine and fails in CI, where tools/test installed
# everything. WHAT names what is missing.
need() {
    local what=$1
    shift
    "$@" >/dev/null 2>&1 && return 0
    [ -n "${CI:-}" ] && { echo "FAIL (CI): $what is needed"; exit 1; }
    echo "skipped: $what is needed"
    exit 77
}

ok() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
not_ok() { FAILURES=$((FAILURES + 1)); echo "not ok - $*"; }
check() { # check "description" command...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# start_server [serve options...]: sets SERVER_PID and BASE (http://host:port/).
# It waits START_WAIT seconds (10) for the server to print its URL.
start_server() {
    "$COOPMAP_BIN" serve --listen 127.0.0.1:0 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 1 $((${START_WAIT:-10} * 10))); do
        BASE=$(grep -o 'http://[^ ]*' "$WORK/server.out" 2>/dev/null || true)
        [ -n "$BASE" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start:" >&2
    cat "$WORK/server.err" >&2
    exit 1
}

# stop_server: SIGTERM, then the process must exit 0 within 10 s with no
# sanitizer report.
stop_server() {
    kill -TERM "$SERVER_PID"
    local i status=0
    for i in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        not_ok "server exits within 10 s of SIGTERM"
        return
    fi
    wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    check "server exits 0 on SIGTERM (got $status)" test "$status" -eq 0
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$WORK/server.err"; then
        not_ok "no sanitizer report from the server"
        grep -A40 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$WORK/server.err" | head -80
    else
        ok "no sanitizer report from the server"
    fi
}

# http METHOD PATH [curl args...]: body in $WORK/body, headers in
# $WORK/headers, status in $STATUS.
http() {
    local method=$1 path=$2
    shift 2
    rm -f "$WORK/body" "$WORK/headers" # curl leaves them alone when nothing comes
    STATUS=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 10 \
        -X "$method" "$@" "${BASE%/}$path" || echo 000)
}

header() { # header NAME: value of a response header, without CR
    grep -i "^$1:" "$WORK/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

json() { # json EXPR: evaluates a Python expression on the body as `d`
    $PY -c "import json,sys; d=json.load(open('$WORK/body')); print($1)"
}

finish() {
    echo "$PASSES passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}

# --- helpers for the hostile and limits tests ---------------------------------

server_port() { # the port of the running server (from BASE)
    echo "$BASE" | sed 's#.*:\([0-9]*\)/$#\1#'
}

# metric_value NAME [LABELS] < metrics text: the value of the sample
# NAME{LABELS} (exact label text, e.g. 'reason="ip_limit"'), empty if absent.
metric_value() {
    local name=$1 labels=${2:-}
    local key=$name
    [ -n "$labels" ] && key="$name{$labels}"
    awk -v k="$key" '$1 == k { print $2; exit }'
}

# wait_for_log PATTERN [TENTHS]: polls the server's stderr for an extended
# regex, up to TENTHS tenths of a second (default 50); fails if not seen.
wait_for_log() {
    local pattern=$1 tries=${2:-50} _
    for _ in $(seq 1 "$tries"); do
        grep -qE "$pattern" "$WORK/server.err" && return 0
        sleep 0.1
    done
    return 1
}
