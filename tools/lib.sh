# Shared by tools/run and tools/test: idempotent set-up on Debian 12.
# Sourced, not executed.

COOPMAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building and running needs, and what only the tests need.
COOPMAP_BUILD_PACKAGES="build-essential cmake pkg-config libgdal-dev gdal-bin libproj-dev
  proj-bin libmicrohttpd-dev libcairo2-dev libpango1.0-dev libjansson-dev libcmocka-dev
  zlib1g-dev libsqlite3-dev libprotobuf-c-dev protobuf-c-compiler libfreetype-dev libfontconfig-dev
  fonts-dejavu-core libjs-leaflet"
COOPMAP_TEST_PACKAGES="curl ca-certificates valgrind python3-networkx poppler-utils clang-format chromium
  wrk clang libclang-rt-14-dev postgresql-15-postgis-3 nginx-light sqlite3 python3-qgis qgis-providers
  python3-owslib"

# Installs the named Debian packages that are not installed yet; runs
# apt-get only when something is missing.
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "coopmap: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    # Packages such as nginx and postgresql start their own system service
    # when installed; the tests start what they need themselves, on
    # loopback, so a policy-rc.d keeps those from starting (if none is set).
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy"
        own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        { [ "$own_policy" = 1 ] && $sudo rm -f "$policy"; return 1; }
    [ "$own_policy" = 1 ] && $sudo rm -f "$policy"
    return 0
}

# The viewer's browser libraries (MapLibre GL JS and its Leaflet binding),
# pinned by web/vendor/package-lock.json and served from /assets/: no CDN.
ensure_web_assets() {
    command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
    local dir="$COOPMAP_ROOT/web/vendor"
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        (cd "$dir" && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error)
        touch "$dir/node_modules"
    fi
}

# Test-only JavaScript tools (an OpenAPI validator) from the npm registry,
# pinned by tests/node/package-lock.json. Node.js from Debian if there is none.
ensure_node_tools() {
    command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
    local dir="$COOPMAP_ROOT/tests/node"
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        touch "$dir/node_modules"
    fi
}

# GDAL 3.10 from Debian 13 (trixie) in a directory of its own, for the tests
# of GDAL's OGCAPI driver: Debian 12's GDAL 3.6 was built without that
# driver's vector tiles (fixed by GDAL pull request 7993, in 3.7.1) and
# reads a collection's lon/lat extent as tile matrix set coordinates. Made
# once with debootstrap (about 90 s, 600 MB); nothing outside it changes.
COOPMAP_GDAL_CHROOT=${COOPMAP_GDAL_CHROOT:-/var/lib/coopmap/gdal-trixie}
ensure_gdal_chroot() {
    [ -x "$COOPMAP_GDAL_CHROOT/usr/bin/ogrinfo" ] && return 0
    ensure_packages debootstrap
    local sudo="" part="$COOPMAP_GDAL_CHROOT.part"
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "coopmap: making $COOPMAP_GDAL_CHROOT (GDAL from Debian 13, for the OGCAPI tests)" >&2
    $sudo rm -rf "$part"
    $sudo mkdir -p "$(dirname "$COOPMAP_GDAL_CHROOT")"
    $sudo debootstrap --variant=minbase --include=gdal-bin,python3-gdal,python3-numpy trixie "$part" \
        http://deb.debian.org/debian >"${TMPDIR:-/tmp}/coopmap-debootstrap.log" 2>&1 ||
        { echo "coopmap: debootstrap failed, see ${TMPDIR:-/tmp}/coopmap-debootstrap.log" >&2; return 1; }
    $sudo mv "$part" "$COOPMAP_GDAL_CHROOT"
}

# Configures and builds into $1 (a build directory) with extra cmake args.
build_into() {
    local dir=$1
    shift
    cmake -S "$COOPMAP_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)"
}
