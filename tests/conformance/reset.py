#!/usr/bin/env python3
"""Brings the simulator on 127.0.0.1:2379 back to a fresh cluster of the kind
a conformance scenario asks for: `reset.py single|three|single-progress1s`."""
import json
import sys
import urllib.request

# the corpus was recorded with --initial-cluster-token conformance
TOKEN = {"initial_cluster_token": "conformance"}
CLUSTERS = {
    "single": {"members": 1, **TOKEN},
    "three": {"members": 3, **TOKEN},
    "single-progress1s": {"members": 1, "watch_progress_notify_interval_ms": 1000, **TOKEN},
}

kind = sys.argv[1]
req = urllib.request.Request(
    "http://127.0.0.1:2379/_sim/reset", data=json.dumps(CLUSTERS[kind]).encode(), method="POST"
)
try:
    with urllib.request.urlopen(req, timeout=10) as res:
        res.read()
except Exception as e:  # HTTPError (non-2xx) included
    sys.exit("reset %s: %s" % (kind, e))
