#!/usr/bin/env bash
# The viewer (/viewer) and the embeddable map (/embed, framed by a page on
# another origin) in headless Chromium, driven by playwright-core: console
# errors, failed requests, tiles, town markers, popup distances against
# /distances, network models against /network; then MapLibre GL JS on
# coopmap's style, vector tiles and glyphs (test_maplibre.mjs). Screenshots go to
# $COOPMAP_BUILD/screenshots/. Exits 77 (skipped) when chromium is missing
# and cannot be installed.
. "$COOPMAP_ROOT/tests/integration/lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE_DIR="$COOPMAP_ROOT/tests/node"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
RUN_TIMEOUT=${COOPMAP_BROWSER_TIMEOUT:-120}

# A missing tool skips on a developer's machine but fails in CI.
skip() {
    if [ -n "${CI:-}" ]; then
        echo "FAIL (CI): $*"
        exit 1
    fi
    echo "SKIPPED: $*"
    exit 77
}

# Chromium from Debian, installed here only when it is missing (tools/lib.sh
# normally installs it with the other test packages).
if [ ! -x "$CHROMIUM" ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo="sudo -n" ||
            skip "chromium unavailable: $CHROMIUM is missing and installing needs root"
    fi
    echo "# installing chromium" >&2
    if ! { $sudo apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=120 chromium; } >"$WORK/apt.log" 2>&1; then
        skip "chromium unavailable: apt-get install chromium failed: $(grep -E '^(E|W):' "$WORK/apt.log" | head -3 | tr '\n' ' ')"
    fi
    [ -x "$CHROMIUM" ] || skip "chromium unavailable: installed, but there is no $CHROMIUM"
fi

command -v node >/dev/null && command -v npm >/dev/null ||
    skip "node unavailable: no node or npm (tools/lib.sh ensure_node_tools installs them)"

# playwright-core at the version tests/node/package-lock.json pins.
pinned_version() {
    node -e 'const l=require(process.argv[1]); console.log((l.packages["node_modules/playwright-core"]||{}).version||"")' \
        "$NODE_DIR/package-lock.json"
}
installed_version() {
    node -e 'try{console.log(require(process.argv[1]).version)}catch(e){console.log("")}' \
        "$NODE_DIR/node_modules/playwright-core/package.json"
}
want=$(pinned_version)
[ -n "$want" ] || { not_ok "tests/node/package-lock.json pins playwright-core"; finish; exit 1; }
if [ "$(installed_version)" != "$want" ]; then
    echo "# npm ci in tests/node (playwright-core $want)" >&2
    if ! (cd "$NODE_DIR" && flock /tmp/coopmap-npm-ci.lock npm ci --no-audit --no-fund --loglevel=error) \
        >"$WORK/npm.log" 2>&1; then
        skip "playwright-core unavailable: npm ci failed: $(tail -3 "$WORK/npm.log" | tr '\n' ' ')"
    fi
    touch "$NODE_DIR/node_modules"
fi
check "playwright-core $want is installed" test "$(installed_version)" = "$want"

start_server --threads 4
echo "# coopmap at $BASE"

# The browser run prints ok / not ok lines and "N passed, M failed"; its
# counts join this script's so the closing line is the total.
set +e
CHROMIUM="$CHROMIUM" COOPMAP_BROWSER_TIMEOUT="$RUN_TIMEOUT" \
    timeout -k 10 $((RUN_TIMEOUT + 30)) node "$HERE/test_browser.mjs" "$BASE" 2>&1 |
    tee "$WORK/browser.out"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/browser.out" | tail -1 || true)
if [ -n "$summary" ]; then
    PASSES=$((PASSES + $(echo "$summary" | cut -d' ' -f1)))
    FAILURES=$((FAILURES + $(echo "$summary" | cut -d' ' -f3)))
    check "browser run exits 0 exactly when nothing failed (exit $rc)" \
        test "$([ "$rc" -eq 0 ] && echo 0 || echo 1)" = "$([ "$(echo "$summary" | cut -d' ' -f3)" -eq 0 ] && echo 0 || echo 1)"
else
    not_ok "browser run printed its summary (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"
fi
# run_node NAME SCRIPT SECONDS: another browser run (BASE and the screenshot
# directory as arguments), its counts joining this script's.
run_node() {
    local rc summary
    set +e
    CHROMIUM="$CHROMIUM" timeout -k 10 "$3" node "$HERE/$2" "${BASE%/}" \
        "${COOPMAP_BUILD:-${TMPDIR:-/tmp}}/screenshots" 2>&1 | tee "$WORK/$1.out"
    rc=${PIPESTATUS[0]}
    set -e
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/$1.out" | tail -1 || true)
    if [ -n "$summary" ]; then
        PASSES=$((PASSES + $(echo "$summary" | cut -d' ' -f1)))
        FAILURES=$((FAILURES + $(echo "$summary" | cut -d' ' -f3)))
    else
        not_ok "the $1 run printed its summary (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"
    fi
}
# MapLibre GL JS on coopmap's vector tiles, style and glyphs.
run_node maplibre test_maplibre.mjs 150
# The viewer for planners: four languages, search, towns panel, export,
# print, the embed builder, accessibility, a phone.
run_node planners test_planners.mjs 150
echo "# screenshots in ${COOPMAP_BUILD:-${TMPDIR:-/tmp}}/screenshots/"

stop_server
finish
