"""What diff.py needs to send one request and to compare two answers: an
HTTP/1.1 call that keeps the exact body, and the comparison of a real etcd's
answer with the simulator's under the normalisation rules of
docs/conformance.md ("Path rules"). Standard library only."""
import base64
import http.client
import json
import re

# Rules that always apply, after an operation's own; patterns are dotted
# paths inside one JSON document (`*` one component, `**` any number).
DEFAULT_RULES = [
    ("**.raft_term", "uint"),
    ("**.raftTerm", "uint"),
    ("**.raftIndex", "uint"),
    ("**.raftAppliedIndex", "uint"),
    ("**.dbSize", "uint"),
    ("**.dbSizeInUse", "uint"),
    ("**.members", "sort:name,peerURLs"),
    ("version", "semver"),
    ("keys", "sort:value"),
]

INTEGER = re.compile(r"^-?\d+$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+")


def call(base, method, path, body, timeout=15.0):
    """Sends one request (`body`: bytes, or None for none) with
    `Connection: close`. Returns the observation: status, headers (lower-case
    names, no Date, repeated ones joined), body_raw (or body_raw_b64 when not
    UTF-8) and the parsed body (`stream` for newline-delimited messages);
    or `error` when no answer came."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Connection", "close")
        conn.endheaders(body)
        res = conn.getresponse()
        data = res.read()
    except ConnectionRefusedError:
        return {"status": 0, "error": "connect: ConnectionRefusedError"}
    except (OSError, http.client.HTTPException) as e:
        return {"status": 0, "error": "io: %s" % e.__class__.__name__}
    finally:
        conn.close()
    headers = {}
    for k, v in res.getheaders():
        k = k.lower()
        if k != "date":
            headers[k] = headers[k] + ", " + v if k in headers else v
    obs = {"status": res.status, "headers": headers}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        obs["body_raw_b64"] = base64.b64encode(data).decode()
        obs["body"] = None
        return obs
    obs["body_raw"] = text
    obs.update(_parsed(text))
    return obs


def _parsed(text):
    if text.endswith("\n") and text.strip():
        try:
            return {"stream": [json.loads(l) for l in text.split("\n") if l.strip()]}
        except ValueError:
            pass
    try:
        return {"body": json.loads(text)}
    except ValueError:
        return {"body": None}


def _pattern(pat):
    if pat == "**":
        return re.compile(".*")
    parts = []
    for p in pat.split("."):
        parts.append(r"(?:[^.]+\.)*" if p == "**" else
                     (r"[^.]+" if p == "*" else re.escape(p)) + r"\.")
    return re.compile("^" + "".join(parts).removesuffix(r"\.") + "$")


def short(v, n=120):
    s = json.dumps(v)
    return s if len(s) <= n else s[:n] + "..."


def compare(real, sim, rules=()):
    """Differences between two parsed JSON documents, real etcd's first;
    `rules` ((pattern, rule) pairs) go before the default ones."""
    rules = [(_pattern(p), r) for p, r in list(rules) + DEFAULT_RULES]
    diffs = []

    def rule_for(path):
        dotted = ".".join(path)
        return next((r for rx, r in rules if rx.match(dotted)), None) if path else None

    def walk(e, a, path):
        where = ".".join(path) or "<root>"
        rule = rule_for(path)
        if rule == "ignore":
            return
        if rule in ("uint", "int"):
            s = str(a) if isinstance(a, (str, int)) and not isinstance(a, bool) else ""
            if not INTEGER.match(s) or (rule == "uint" and s.startswith("-")):
                diffs.append("%s: real %s, sim %s (not %s-like)" % (where, short(e), short(a), rule))
            elif type(e) is not type(a):
                diffs.append("%s: real %s, sim %s (type)" % (where, short(e), short(a)))
            return
        if rule and rule.startswith("approx:"):
            tol = float(rule.split(":", 1)[1])
            try:
                close = type(e) is type(a) and abs(float(e) - float(a)) <= tol
            except (TypeError, ValueError):
                close = False
            if not close:
                diffs.append("%s: real %s, sim %s (±%g)" % (where, short(e), short(a), tol))
            return
        if rule == "semver":
            if not (isinstance(a, str) and SEMVER.match(a)):
                diffs.append("%s: real %s, sim %s (not a version)" % (where, short(e), short(a)))
            return
        if rule and rule.startswith("sort:") and isinstance(e, list) and isinstance(a, list):
            keys = rule.split(":", 1)[1].split(",")

            def key(el):
                return json.dumps([el.get(k) if isinstance(el, dict) else el for k in keys])
            e, a = sorted(e, key=key), sorted(a, key=key)
        if isinstance(e, dict) and isinstance(a, dict):
            for k in e:
                if k not in a:
                    if rule_for(path + [k]) != "ignore":
                        diffs.append("%s: missing in sim (real %s)" % (".".join(path + [k]), short(e[k])))
                else:
                    walk(e[k], a[k], path + [k])
            for k in a:
                if k not in e and rule_for(path + [k]) != "ignore":
                    diffs.append("%s: only in sim = %s" % (".".join(path + [k]), short(a[k])))
            return
        if isinstance(e, list) and isinstance(a, list):
            if len(e) != len(a):
                diffs.append("%s: real %d elements, sim %d" % (where, len(e), len(a)))
            for i, (x, y) in enumerate(zip(e, a)):
                walk(x, y, path + [str(i)])
            return
        # scalars: same JSON type and value ("1" is not 1)
        if type(e) is not type(a) or e != a:
            diffs.append("%s: real %s, sim %s" % (where, short(e), short(a)))

    walk(real, sim, [])
    return diffs
