#!/usr/bin/env bash
# The whole test suite in two pytest processes side by side, for a 2-core machine:
#  - the tests marked `realtime` (paced audio, a browser, SIP calls, PulseAudio: tests/conftest.py
#    REALTIME) at normal priority, so they keep real time as when they run alone;
#  - the offline rest (models on files, DSP, the CLI on files) beside them at `nice` 10, on the
#    cores the real-time tests leave idle (they wait on the clock much of the time).
# Each has its own temporary folder; the offline run's report is printed after the real-time one.
# Extra arguments go to both (e.g. `scripts/test.sh -x`). Exit status: non-zero if either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
tmp=$(mktemp -d /tmp/pytest-runs.XXXXXX)
trap 'kill 0 2>/dev/null; rm -rf "$tmp"' INT TERM
args=(-q -p no:cacheprovider --durations=15 "$@")

nice -n 10 "$PY" -m pytest "${args[@]}" -m "not realtime" --basetemp="$tmp/offline" \
    > "$tmp/offline.log" 2>&1 &
offline=$!
echo "== tests in real time (the offline tests run beside them, niced; their report follows)"
"$PY" -m pytest "${args[@]}" -m realtime --basetemp="$tmp/realtime"
realtime_status=$?
wait "$offline"
offline_status=$?
echo
echo "== offline tests"
cat "$tmp/offline.log"
rm -rf "$tmp"
echo "realtime tests: exit $realtime_status; offline tests: exit $offline_status"
[ "$realtime_status" -eq 0 ] && [ "$offline_status" -eq 0 ]
