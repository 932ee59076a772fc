#!/usr/bin/env bash
# The include rule: a stage of the pipeline includes only its own stage and
# the stages below it, util < data < network < render < http < api < src/
# (the command line). Every #include "..." under src/ names a header by its
# path below src/ ("data/layer.h"; a top-level header has no folder). Fails
# naming file and line for a back-edge or a header that does not exist.
set -euo pipefail
: "${COOPMAP_ROOT:?set by ctest}"
cd "${1:-$COOPMAP_ROOT}/src"
rank() {
    case $1 in
    util) echo 0 ;; data) echo 1 ;; network) echo 2 ;; render) echo 3 ;;
    http) echo 4 ;; api) echo 5 ;; .) echo 6 ;; *) echo -1 ;;
    esac
}
bad=0 checked=0
while IFS= read -r file; do
    from=$(dirname "$file")
    from=${from#./}
    [ "$from" = "." ] || from=${from%%/*}
    rf=$(rank "$from")
    if [ "$rf" -lt 0 ]; then
        echo "src/${file#./}: folder '$from' is not a stage"
        bad=$((bad + 1))
        continue
    fi
    while IFS=: read -r line target; do
        checked=$((checked + 1))
        to=.
        case $target in */*) to=${target%%/*} ;; esac
        rt=$(rank "$to")
        if [ ! -f "$target" ]; then
            echo "src/${file#./}:$line: includes \"$target\", which is not a header under src/"
            bad=$((bad + 1))
        elif [ "$rt" -gt "$rf" ]; then
            echo "src/${file#./}:$line: '$from' includes \"$target\" of the higher stage '$to'"
            bad=$((bad + 1))
        fi
    done < <(awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
        match($0, /"[^"]*"/); print FNR ":" substr($0, RSTART + 1, RLENGTH - 2) }' "$file")
done < <(find . -name '*.[ch]' | sort)
echo "$checked includes checked, $bad against the rule"
[ "$bad" -eq 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
