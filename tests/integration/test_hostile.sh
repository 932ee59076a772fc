#!/usr/bin/env bash
# Hostile clients: the issue's exact probes, then at least 2,000 generated
# hostile requests (mutated paths, query parameters, headers, methods, raw
# bytes) over raw sockets, each answered with a status line and a JSON 4xx
# or the endpoint's success, never a 5xx or silence; /health after every
# batch. The generator and its rules are in hostile.py. The seed is printed;
# COOPMAP_HOSTILE_SEED (and COOPMAP_HOSTILE_COUNT) override it.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

# A head that never ends is closed by the head deadline: 1 s keeps the
# run short (the generated truncated heads wait for it).
start_server --threads 4 --head-timeout 1
PORT=$(server_port)

check "the issue's probes are answered exactly (hostile.py probes)" \
    $PY "$HERE/hostile.py" probes "$PORT"
check "generated hostile requests are all answered as required (hostile.py generate)" \
    $PY "$HERE/hostile.py" generate "$PORT"

http GET /health
check "/health is 200 after the hostile requests" test "$STATUS" = 200
http GET /metrics
malformed=$(metric_value coopmap_http_rejected_total 'reason="malformed"' <"$WORK/body")
check "/metrics counts the refused requests as malformed ($malformed)" \
    $PY -c "import sys; sys.exit(0 if float('${malformed:-0}') >= 100 else 1)"
check "the server logged no crash or assertion" \
    bash -c "! grep -qiE 'assert|segfault|double free|stack smashing' '$WORK/server.err'"
stop_server
finish
