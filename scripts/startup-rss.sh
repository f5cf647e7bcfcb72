#!/usr/bin/env bash
# Resident memory of `slipway serve` on its very first start (fresh data dir: migrations, node secret, the
# bootstrap administrator and its argon2id hash) and on a second start of the same data dir.
# For each start: VmRSS from /proc/PID/status every 100 ms for SECONDS_PER_START seconds; prints the maximum,
# when it was seen, and the steady figure (the last sample). SQLite in the temporary data dir.
#
# Usage: scripts/startup-rss.sh [path/to/slipway]   (default: $CARGO_TARGET_DIR or target, release build)
# Env:   SECONDS_PER_START (default 12), PORT (default 18431)
set -euo pipefail

bin=${1:-${CARGO_TARGET_DIR:-target}/release/slipway}
seconds=${SECONDS_PER_START:-12}
port=${PORT:-18431}
[ -x "$bin" ] || { echo "no slipway binary at $bin (cargo build --release -p slipway)" >&2; exit 1; }

dir=$(mktemp -d /tmp/slipway-rss.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# One start: samples until `seconds` have passed, then stops the server (SIGTERM) and waits for it.
measure() {
    local label=$1 max=0 at=0 last=0 kib t
    "$bin" serve --data-dir "$dir/data" --bind "127.0.0.1:$port" --log warn >"$dir/$label.log" 2>&1 &
    pid=$!
    local samples=$((seconds * 10))
    for ((i = 1; i <= samples; i++)); do
        sleep 0.1
        kib=$(rss_kib "$pid")
        [ -n "$kib" ] || { echo "$label: the server exited early:" >&2; cat "$dir/$label.log" >&2; exit 1; }
        last=$kib
        if ((kib > max)); then max=$kib; at=$i; fi
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    t=$(awk -v i="$at" 'BEGIN { printf "%.1f", i / 10 }')
    awk -v l="$label" -v m="$max" -v t="$t" -v s="$last" -v n="$seconds" \
        'BEGIN { printf "%-12s max %6.1f MB (at %s s)   steady %6.1f MB (at %d s)\n", l, m / 1024, t, s / 1024, n }'
}

measure first-start
measure second-start
