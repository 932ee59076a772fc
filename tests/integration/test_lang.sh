#!/usr/bin/env bash
# Maps in the four languages (lang=sl|de|hu|en, labels=bilingual): the
# static map's PDF, read back with poppler's pdftotext, shows every town's
# label as the geodata names it in that language (worked out here from
# geodata/cities.geojson, not by coopmap), and not the names of the other
# languages; tiles, TileJSON and the MapLibre style follow the language,
# each language its own cache entry and ETag; the OGC API's HTML pages
# speak the Accept-Language (q-values honoured, English otherwise, Vary and
# Content-Language set) while its JSON stays the same with all the names;
# bad values are 400s.
# Exits 77 (skipped) without pdftotext, except in CI.
. "$(dirname "$0")/lib.sh"

need "pdftotext (poppler-utils)" command -v pdftotext
start_server --quiet

# The labels each language should show: name_bilingual first with
# labels=bilingual, then name_<lang>, then name (styles/README.md).
expected() { # expected LANG BILINGUAL(0|1): one label per line
    python3 - "$COOPMAP_ROOT/geodata/cities.geojson" "$1" "$2" <<'PY'
import json, sys
path, lang, bi = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
for f in json.load(open(path, encoding="utf-8"))["features"]:
    p = f["properties"]
    chain = (["name_bilingual"] if bi else []) + (["name_" + lang] if lang else []) + ["name"]
    print(next(p[k] for k in chain if p.get(k)))
PY
}
VIEW="bbox=15.5,46.35,16.9,47.5&width=1800&height=1800"
pdf_text() { # pdf_text QUERY: the words of the map's PDF, one line per label
    curl -s -o "$WORK/map.pdf" "${BASE%/}/map.pdf?$VIEW$1"
    pdftotext -raw "$WORK/map.pdf" - 2>/dev/null
}
for case in ":0" "sl:0" "de:0" "hu:0" "en:0" "sl:1" ":1"; do
    lang=${case%:*} bi=${case#*:}
    query=""
    [ -n "$lang" ] && query="&lang=$lang"
    [ "$bi" = 1 ] && query="$query&labels=bilingual"
    text=$(pdf_text "$query")
    expected "$lang" "$bi" >"$WORK/want"
    missing=$(while read -r label; do grep -qxF "$label" <<<"$text" || echo "$label"; done <"$WORK/want" || true)
    # The other languages' names of towns whose name differs here must not show.
    others=$(for l in "" sl de hu en; do expected "$l" 0; expected "$l" 1; done | sort -u |
        grep -vxF -f "$WORK/want" | while read -r label; do
            if grep -qxF "$label" <<<"$text"; then echo "$label"; fi; done || true)
    check "map.pdf${query:+?${query#&}}: all $(wc -l <"$WORK/want") towns labelled in the language${missing:+; missing: $(echo $missing)}${others:+; names of other languages: $(echo $others)}" \
        test -z "$missing" -a -z "$others"
done
text=$(pdf_text "&lang=de")
check "lang=de shows Pettau where lang=sl shows Ptuj" grep -qxF Pettau <<<"$text"

# Tiles: a tile with Radenci/Radein and Lenart/Sankt Leonhard in it.
T=/tiles/default/10/557/361.png
differ() { ! cmp -s "$1" "$2"; }
for lang in "" sl de en; do
    http GET "$T${lang:+?lang=$lang}"
    cp "$WORK/body" "$WORK/tile-${lang:-none}.png"
    header ETag >"$WORK/etag-${lang:-none}"
done
check "the tile differs in German (Radein) and Slovenian (Radgona)" differ "$WORK/tile-de.png" "$WORK/tile-sl.png"
check "and in German from the default" differ "$WORK/tile-de.png" "$WORK/tile-none.png"
check "so do their ETags" differ "$WORK/etag-de" "$WORK/etag-sl"
check "in English it is the default tile (the towns' English names are their names)" cmp -s "$WORK/tile-en.png" "$WORK/tile-none.png"
http GET "$T?lang=de"
check "the German tile again: the same bytes from the cache" cmp -s "$WORK/body" "$WORK/tile-de.png"
http GET "/tiles/default.json?lang=hu&labels=bilingual"
check "TileJSON with lang: its tile URLs carry it" \
    test "$(json "d['tiles'][0].endswith('/tiles/default/{z}/{x}/{y}.png?lang=hu&labels=bilingual')")" = True
http GET "/styles/default.json?lang=de"
check "the MapLibre style in German: labels read name_de, then name" \
    test "$(json "[l['layout']['text-field'] for l in d['layers'] if l['type'] == 'symbol'][0]")" = "['coalesce', ['get', 'name_de'], ['get', 'name']]"
status=0
node "$COOPMAP_ROOT/tests/node/validate-style.mjs" "${BASE%/}/styles/default.json?lang=de&labels=bilingual" >"$WORK/style" 2>&1 || status=$?
check "it validates: $(cat "$WORK/style")" test $status -eq 0

# The OGC API's HTML pages speak the Accept-Language; its JSON does not change.
html_lang() { # html_lang ACCEPT-LANGUAGE PATH: "<html lang> Content-Language"
    http GET "$2" -H "Accept: text/html" -H "Accept-Language: $1"
    echo "$(grep -o '<html lang="[a-z]*"' "$WORK/body" | cut -d'"' -f2) $(header Content-Language)"
}
for case in "sl:sl" "de-AT,de;q=0.9,en;q=0.5:de" "en;q=0.5, hu;q=0.9:hu" "fr-FR:en" ":en"; do
    got=$(html_lang "${case%:*}" /collections)
    check "Accept-Language '${case%:*}': the collections page in ${case##*:}" test "$got" = "${case##*:} ${case##*:}"
done
html_lang de /collections >/dev/null
lacks() { ! grep -q "$1" "$2"; }
check "and in German no English headings" lacks "<th>Collection</th>" "$WORK/body"
check "the HTML varies by Accept-Language (Vary)" grep -q "Accept-Language" <<<"$(header Vary)"
html_lang en /collections >/dev/null
check "in English the headings are English" grep -q "<th>Collection</th>" "$WORK/body"
for path in / /collections/towns "/collections/towns/items?limit=3" /collections/towns/items/10 /conformance /api; do
    html_lang hu "$path" >"$WORK/hu.lang"
    check "$path as HTML in Hungarian" test "$(cat "$WORK/hu.lang")" = "hu hu"
done
http GET "/collections/towns/items?limit=5" -H "Accept-Language: de"
cp "$WORK/body" "$WORK/de.json"
http GET "/collections/towns/items?limit=5" -H "Accept-Language: sl"
check "the GeoJSON is the same whatever the language, with all the names" \
    test "$(cmp -s "$WORK/body" "$WORK/de.json" && json "sorted(k for k in d['features'][0]['properties'] if k.startswith('name'))")" = \
    "['name', 'name_bilingual', 'name_de', 'name_en', 'name_hu', 'name_local', 'name_sl']"

for bad in "/map.png?$VIEW&lang=fr" "/map.png?$VIEW&labels=trilingual" "$T?lang=DE" "/tiles/default.json?lang=" \
    "/styles/default.json?lang=%ff"; do
    http GET "$bad"
    check "$bad: 400 JSON" test "$STATUS:$(json "d['code']" 2>/dev/null)" = "400:InvalidParameterValue"
done
stop_server
finish
