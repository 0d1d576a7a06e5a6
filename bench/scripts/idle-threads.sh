#!/usr/bin/env bash
# CPU used by each thread of an idle broker, from the kernel's own accounting (/proc/PID/task/TID/schedstat,
# nanoseconds on CPU), over a window after a warm-up. Starts bin/peregrine on a free port with a fresh data directory.
#   bench/scripts/idle-threads.sh [SECONDS] [-- broker flags]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-20}
shift || true
[ "${1:-}" = "--" ] && shift
data=$(mktemp -d)
log="$data/broker.log"
"$root/bin/peregrine" --bind 127.0.0.1 --port 0 --data-dir "$data/data" "$@" > "$log" 2>&1 &
launcher=$!
trap 'kill "$launcher" 2>/dev/null || true; wait "$launcher" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$log" && break; sleep 0.1; done
grep "listening on" "$log" >&2
pid=$(pgrep -P "$launcher" java || echo "$launcher")
sleep 5
sample() {
  for task in /proc/"$pid"/task/*; do
    printf '%s %s %s\n' "$(basename "$task")" "$(cut -d' ' -f1 "$task/schedstat")" "$(tr ' ' '_' < "$task/comm")"
  done
}
before=$(sample)
sleep "$seconds"
after=$(sample)
echo "CPU per thread of an idle broker over ${seconds}s (% of one CPU), busiest first:"
join <(echo "$before" | sort) <(echo "$after" | sort) |
  awk -v s="$seconds" '{ pct = ($4 - $2) / (s * 1e7); printf "%8.3f%%  %s\n", pct, $3 }' | sort -rn | head -12
