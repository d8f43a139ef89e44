#!/bin/bash
# Replays the conformance scenarios listed in passing.txt against the Node
# server (pkg/bin/etcd-sim.mjs) and fails if any of them fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/conformance
shared=../shared/conformance
[ -f "$shared/replay.py" ] || { echo "replay.sh: $shared/replay.py not found (shared/ must sit beside the repo)" >&2; exit 1; }

patterns=$(grep -v -e '^\s*#' -e '^\s*$' "$here/passing.txt")
for p in $patterns; do
	python3 "$shared/replay.py" --list --scenario "$p" | grep -q . \
		|| { echo "replay.sh: passing.txt: no scenario matches $p" >&2; exit 1; }
done
scenarios=$(paste -sd, - <<<"$patterns")
log=$(mktemp)
node pkg/bin/etcd-sim.mjs --members 3 --playground off >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 100); do
	grep -q ready "$log" && break
	kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.1
done
grep -q ready "$log" || { echo "replay.sh: server not ready after 10 s" >&2; cat "$log" >&2; exit 1; }

python3 "$shared/replay.py" \
	--base http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379 \
	--reset-cmd "python3 $here/reset.py {cluster}" \
	--scenario "$scenarios"
