#!/usr/bin/env bash
# The C sources follow .clang-format (clang-format 14, Debian 12's).
set -euo pipefail
: "${COOPMAP_ROOT:?set by ctest}"
cd "$COOPMAP_ROOT"
if ! command -v clang-format >/dev/null; then
    [ -z "${CI:-}" ] || { echo "FAIL (CI): clang-format is not installed"; exit 1; }
    echo "SKIPPED: clang-format is not installed"
    exit 77
fi
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'tests/unit/*.h' 'tests/fuzz/*.c' 'tests/fuzz/*.h' 'tools/bench/*.c' 2>/dev/null ||
    ls src/*.[ch] src/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] tools/bench/*.c)
if clang-format --dry-run -Werror $files; then
    echo "1 passed, 0 failed"
else
    echo "fix with: clang-format -i $(echo $files | head -c 60)..."
    echo "0 passed, 1 failed"
    exit 1
fi
