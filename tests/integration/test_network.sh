#!/usr/bin/env bash
# Distances and networks with real clients: PROJ's own geod program for
# every town pair, NetworkX for the metrics, curl for every parameter.
. "$(dirname "$0")/lib.sh"
cp -r "$COOPMAP_ROOT/geodata" "$WORK/data"
start_server --threads 2 --project "$WORK/data/coopmap.json"
U=${BASE%/}
GEO=$WORK/data

# --- distances against `geod -I +ellps=WGS84` on all 276 pairs -------------
"$COOPMAP_BIN" distances --json --project "$GEO/coopmap.json" >"$WORK/body"
check "distances vs geod: all 276 pairs within 1 mm, azimuths within 1e-6 deg" $PY - "$GEO/cities.geojson" "$WORK/body" <<'PYEOF'
import json, subprocess, sys
towns = {f["properties"]["name"]: f["geometry"]["coordinates"] for f in json.load(open(sys.argv[1]))["features"]}
d = json.load(open(sys.argv[2]))
names = [t["name"] for t in d["from"]]
pairs = {(p["from"], p["to"]): p for p in d["pairs"]}
todo = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
assert len(todo) == 276, len(todo)
lines = "".join(f"{towns[a][1]} {towns[a][0]} {towns[b][1]} {towns[b][0]}\n" for a, b in todo)
out = subprocess.run(["geod", "-I", "+ellps=WGS84", "-f", "%.9f"], input=lines, capture_output=True, text=True, check=True).stdout.split("\n")
worst_m = worst_az = 0
for (a, b), line in zip(todo, out):
    azi1, back, metres = map(float, line.split())
    p = pairs[(a, b)]
    worst_m = max(worst_m, abs(p["distance_km"] * 1000 - metres))
    fwd2 = (back + 180) % 360
    fwd2 = fwd2 - 360 if fwd2 > 180 else fwd2
    da = abs(p["initial_azimuth"] - azi1)
    db = abs(p["final_azimuth"] - fwd2)
    worst_az = max(worst_az, min(da, 360 - da), min(db, 360 - db))
    back_pair = pairs[(b, a)]
    assert abs(back_pair["distance_km"] - p["distance_km"]) < 1e-9
print(f"276 pairs: max distance difference {worst_m * 1000:.3f} mm, max azimuth difference {worst_az:.2e} deg")
sys.exit(0 if worst_m <= 0.001 and worst_az <= 1e-6 else 1)
PYEOF

http GET '/distances?from=Ptuj,Lendava&to=F%C3%BCrstenfeld'
check "distance matrix 2 x 1" test "$(json "[len(d['matrix_km']), len(d['matrix_km'][0]), d['to'][0]['name']]")" = "[2, 1, 'Fürstenfeld']"
km=$(json "d['matrix_km'][0][0]")
http GET '/distances?from=PTUJ,lendava&to=furstenfeld'
check "names are case- and accent-insensitive" test "$(json "d['matrix_km'][0][0]")" = "$km"
ptuj_id=$(json "d['from'][0]['id']")
http GET "/distances?from=$ptuj_id&to=furstenfeld"
check "towns by feature id" test "$(json "d['matrix_km'][0][0]")" = "$km"
http GET '/distances?from=Ptuj,Atlantis'
check "unknown town is 400 naming it" test "$STATUS,$(json "'Atlantis' in d['description']")" = "400,True"
http GET '/distances'
check "all towns by default: 24 x 24" test "$(json "(len(d['matrix_km']), len(d['pairs']))")" = "(24, 576)"
http GET '/distances?from=Ptuj,Lendava&to=F%C3%BCrstenfeld,Weiz&f=csv'
check "CSV content type" test "$(header Content-Type)" = "text/csv; charset=utf-8; header=present"
check "CSV header row and two rows" test "$(tr -d '\r' <"$WORK/body" | head -1),$(wc -l <"$WORK/body")" = "from,Fürstenfeld,Weiz,3"
check "CSV values are the JSON values to the metre" test "$(tr -d '\r' <"$WORK/body" | sed -n 2p | cut -d, -f2)" = "$(printf '%.3f' "$km")"
http GET '/distances?from=Ptuj&to=Weiz&f=csv&layout=pairs'
check "CSV pairs layout" test "$(tr -d '\r' <"$WORK/body" | head -1)" = "from,to,distance_km,initial_azimuth,final_azimuth"
http GET '/distances?f=xml'
check "f=xml is 406" test "$STATUS" = 406
http GET '/distances?town=Ptuj'
check "unknown parameter is 400" test "$STATUS" = 400

# --- network models ------------------------------------------------------------
ties() { json "len([f for f in d['features'] if f['properties']['kind'] == 'tie'])"; }
http GET '/network?model=complete'
check "complete: 276 ties and 24 towns" test "$(ties),$(json "len(d['features'])")" = "276,300"
check "ties are densified geodesics (no step over 2.1 km)" $PY -c "
import json, math
d = json.load(open('$WORK/body'))
worst = 0
for f in d['features']:
    if f['properties']['kind'] != 'tie': continue
    c = f['geometry']['coordinates']
    for (x0, y0), (x1, y1) in zip(c, c[1:]):
        dx = (x1 - x0) * 111.32 * math.cos(math.radians((y0 + y1) / 2)); dy = (y1 - y0) * 110.6
        worst = max(worst, math.hypot(dx, dy))
raise SystemExit(0 if 0 < worst < 2.1 else 1)"
check "tie properties" test "$(json "sorted(d['features'][0]['properties'])")" = "['countries', 'cross_border', 'distance_km', 'from', 'from_id', 'kind', 'to', 'to_id']"
check "town metrics" test "$(json "sorted(d['features'][-1]['properties'])")" = "['betweenness', 'closeness', 'component', 'country', 'degree', 'eccentricity_km', 'harmonic', 'kind', 'name', 'weighted_degree_km']"
check "complete: density 1" test "$(json "d['summary']['density']")" = 1
http GET '/network?model=knn&k=3'
check "knn k=3: every town has degree >= 3" test "$(json "min(f['properties']['degree'] for f in d['features'] if f['properties']['kind'] == 'town')")" -ge 3
http GET '/network?model=within&km=25'
check "within 25 km: no tie longer" test "$(json "max(f['properties']['distance_km'] for f in d['features'] if f['properties']['kind'] == 'tie') <= 25")" = True
for m in mst delaunay gabriel rng edges; do
    http GET "/network?model=$m"
    check "model $m answers ($(ties) ties)" test "$STATUS,$(json "d['model']")" = "200,$m"
done
http GET '/network?model=mst'
check "mst: 23 ties" test "$(ties)" = 23
http GET '/network?model=complete&cross_border=true'
check "cross_border=true keeps only cross-border ties (191)" test "$(ties),$(json "all(f['properties']['cross_border'] for f in d['features'] if f['properties']['kind'] == 'tie')")" = "191,True"
http GET '/network?model=complete&country=SI,AT'
check "country=SI,AT: 17 towns" test "$(json "len([f for f in d['features'] if f['properties']['kind'] == 'town'])")" = 17
expect_400() { # expect_400 QUERY WORD
    http GET "/network?$1"
    check "400 for $1 mentions '$2'" test "$STATUS,$(json "'$2' in d['description']")" = "400,True"
}
expect_400 'model=knn&k=0' 'k:'
expect_400 'model=knn&k=24' 'k: must be 1..23'
expect_400 'model=within&km=-1' 'km:'
expect_400 'model=star' "unknown model"
expect_400 'model=mst&country=XX' "no town in"
expect_400 'model=mst&cross_border=maybe' 'cross_border'
expect_400 'modle=mst' 'modle'

# --- metrics against NetworkX ---------------------------------------------------
for m in mst delaunay knn; do
    http GET "/network/metrics?model=$m&k=2"
    cp "$WORK/body" "$WORK/metrics.json"
    http GET "/network?model=$m&k=2"
    check "$m metrics equal NetworkX's" $PY - "$WORK/metrics.json" "$WORK/body" <<'PYEOF'
import json, sys
import networkx as nx
metrics, net = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
G = nx.Graph()
for n in metrics["nodes"]:
    G.add_node(n["id"])
for f in net["features"]:
    p = f["properties"]
    if p["kind"] == "tie":
        G.add_edge(p["from_id"], p["to_id"], w=p["distance_km"])
clo = nx.closeness_centrality(G, distance="w")
bet = nx.betweenness_centrality(G, weight="w", normalized=True)
# eccentricity by hand: Debian's NetworkX 2.8 has no weighted eccentricity
ecc = {v: max(nx.single_source_dijkstra_path_length(G, v, weight="w").values()) for v in G}
bad = []
for n in metrics["nodes"]:
    i = n["id"]
    for name, ours, theirs, tol in [("closeness", n["closeness"], clo[i], 1e-5), ("betweenness", n["betweenness"], bet[i], 1e-5),
                                    ("eccentricity", n["eccentricity_km"], ecc[i], 2e-3), ("degree", n["degree"], G.degree(i), 0)]:
        if abs(ours - theirs) > tol * max(1, abs(theirs)):
            bad.append(f"{n['name']}: {name} {ours} vs NetworkX {theirs}")
s = metrics["summary"]
if abs(s["total_length_km"] - G.size(weight="w")) > 0.01: bad.append("total length")
if s["components"] != nx.number_connected_components(G): bad.append("components")
if abs(s["density"] - nx.density(G)) > 1e-5: bad.append("density")
print("\n".join(bad[:5]) or "all metrics agree")
sys.exit(1 if bad else 0)
PYEOF
done

# --- the default network is a collection ------------------------------------------
http GET '/collections/network/items?limit=100'
check "/collections/network: the 23 MST ties as LineStrings" test "$(json "(d['numberMatched'], {f['geometry']['type'] for f in d['features']})")" = "(23, {'LineString'})"
http GET '/collections/network/items?cross_border=true&limit=100'
check "network collection filters on cross_border" test "$(json "all(f['properties']['cross_border'] for f in d['features'])")" = True

# --- the command line -------------------------------------------------------------
"$COOPMAP_BIN" network --model mst >"$WORK/table"
check "network table lists all 24 towns" test "$(grep -cE '^[^ ].* (AT|SI|HU) ' "$WORK/table")" = 24
check "network table summary line" grep -q "network 'mst': 24 towns, 23 ties" "$WORK/table"
"$COOPMAP_BIN" network --model knn --k 3 --json >"$WORK/body"
check "network --json" test "$(json "(d['model'], d['parameters']['k'], len(d['nodes']))")" = "('knn', 3, 24)"
"$COOPMAP_BIN" network --model gabriel --geojson >"$WORK/body"
check "network --geojson" test "$(json "d['type']")" = FeatureCollection
"$COOPMAP_BIN" network --model knn --k 0 2>"$WORK/err" && status=0 || status=$?
check "network --k 0: exit 2 and a message" test "$status,$(grep -c 'k:' "$WORK/err")" = "2,1"
"$COOPMAP_BIN" distances --from Ptuj --to 'Fürstenfeld,Weiz' --csv >"$WORK/csv"
check "distances --csv" test "$(tr -d '\r' <"$WORK/csv" | head -1)" = "from,Fürstenfeld,Weiz"
"$COOPMAP_BIN" distances --from Atlantis 2>"$WORK/err" && status=0 || status=$?
check "distances with an unknown town: exit 2" test "$status,$(grep -c "unknown town 'Atlantis'" "$WORK/err")" = "2,1"

# Static maps draw a network over the style as the viewer does (its
# export): the cross-border ties orange, the others blue; counted in the
# PNG by GDAL's Python bindings (numpy), against the map without them.
MAP="/map.png?bbox=15.5,46.35,16.9,47.5&width=700&height=600&style=light"
colour_px() { # colour_px FILE R G B: pixels within 30 of the colour
    /usr/bin/python3 - "$@" <<'PYEOF'
import sys
from osgeo import gdal
import numpy
a = gdal.Open(sys.argv[1]).ReadAsArray()[:3].astype(int)
want = numpy.array([int(v) for v in sys.argv[2:5]]).reshape(3, 1, 1)
print(int((abs(a - want).max(axis=0) <= 30).sum()))
PYEOF
}
http GET "$MAP"
cp "$WORK/body" "$WORK/plain.png"
http GET "$MAP&network=knn&k=3"
cp "$WORK/body" "$WORK/knn.png"
check "a map with network=knn&k=3: 200 PNG" test "$STATUS $(header Content-Type)" = "200 image/png"
orange_plain=$(colour_px "$WORK/plain.png" 213 94 0) orange=$(colour_px "$WORK/knn.png" 213 94 0)
blue_plain=$(colour_px "$WORK/plain.png" 0 114 178) blue=$(colour_px "$WORK/knn.png" 0 114 178)
check "its ties are drawn: $orange orange (cross-border) and $blue blue pixels, against $orange_plain and $blue_plain without" \
    test "$orange" -gt $((orange_plain + 500)) -a "$blue" -gt $((blue_plain + 1000))
http GET "$MAP&network=knn&k=3&cross_border=true"
cp "$WORK/body" "$WORK/cb.png"
check "cross_border=true: the orange ties only" \
    test "$(colour_px "$WORK/cb.png" 213 94 0)" -gt $((orange_plain + 500)) -a "$(colour_px "$WORK/cb.png" 0 114 178)" -lt $((blue_plain + 100))
for bad in "&network=nope" "&network=knn&k=0" "&network=within&km=-1" "&k=3"; do
    http GET "$MAP$bad"
    [ "$bad" = "&k=3" ] && { check "k without network is ignored on maps: 200" test "$STATUS" = 200; continue; }
    check "map $bad: 400 JSON" test "$STATUS:$(json "d['code']")" = 400:InvalidParameterValue
done

# The cache goes with the data: after a reload with 20 towns, no network
# built from the 24 is served.
http GET '/network?model=complete'
check "complete network cached before the reload: 24 towns" test "$(json "d['summary']['nodes']")" = 24
$PY - "$GEO/cities.geojson" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"] = [f for f in d["features"] if f["properties"]["name"] not in ("Weiz", "Hartberg", "Vasvár", "Lenti")]
json.dump(d, open(sys.argv[1], "w"))
PYEOF
kill -HUP "$SERVER_PID"
for i in $(seq 1 50); do
    http GET '/network?model=complete'
    [ "$(json "d['summary']['nodes']")" = 20 ] && break
    sleep 0.1
done
check "after the reload the network has 20 towns and 190 ties" test "$(json "(d['summary']['nodes'], d['summary']['edges'])")" = "(20, 190)"

stop_server
finish
