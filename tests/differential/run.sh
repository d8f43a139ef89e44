#!/bin/bash
# `make test-differential`: starts the simulator's Node server on
# 127.0.0.1:12379/12479/12579, runs diff.py (default: 10 sequences x 100 ops
# against a fresh real etcd 3.5.1 three-member cluster each) and always stops
# both the simulator and the real cluster. Extra arguments go to diff.py.
# Assumes `make build` ran (pkg/wasm exists).
set -uo pipefail
cd "$(dirname "$0")/../.."
[ -f pkg/wasm/etcd_sim_bg.wasm ] || { echo "run.sh: pkg/wasm missing: run 'make build' first" >&2; exit 1; }

# fetch the real etcd first (idempotent), so that a download does not count
# against the simulator's start-up
python3 tests/differential/diff.py --setup-only >/dev/null || exit 1

log=$(mktemp)
node pkg/bin/etcd-sim.mjs --members 3 \
	--listen-client-urls http://127.0.0.1:12379,http://127.0.0.1:12479,http://127.0.0.1:12579 \
	--playground off >"$log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	python3 tests/differential/real_etcd.py stop
	rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 100); do
	grep -q ready "$log" && break
	kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.1
done
grep -q ready "$log" || { echo "run.sh: simulator not ready after 10 s" >&2; cat "$log" >&2; exit 1; }

python3 tests/differential/diff.py "$@"
