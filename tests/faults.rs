//! Breaking a three-member cluster through `/_sim/` and watching it behave as
//! etcd does: elections after a leader crash, stale serializable reads on a
//! partitioned follower, timeouts without a quorum, catching up after a
//! restart, `/health`; reading the members' Raft logs (`/_sim/log`) as a
//! leader is deposed and its uncommitted entry overwritten; and etcd's gRPC
//! interceptors: calls with `Grpc-Metadata-Hasleader: true` on a member
//! without leader, the leader monitor ending such streams, learners; simple
//! auth tokens across members, restarts and virtual time.

use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::{json, Value};

fn world() -> World {
    World::new(Config {
        members: 3,
        ..Config::default()
    })
}

/// A request to `member`, answered within `wait_ms` of virtual time.
fn call(
    gw: &mut World,
    member: usize,
    method: &str,
    path: &str,
    body: Value,
    wait_ms: u64,
) -> (u16, Value) {
    call_with(gw, member, method, path, &[], body, wait_ms)
}

/// [`call`] with request headers.
fn call_with(
    gw: &mut World,
    member: usize,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
    wait_ms: u64,
) -> (u16, Value) {
    exchange(
        gw,
        member,
        method,
        path,
        headers,
        body,
        wait_ms,
        &mut Vec::new(),
    )
}

/// [`call_with`], keeping the other outputs produced meanwhile in `kept`
/// (chunks of open streams).
#[allow(clippy::too_many_arguments)]
fn exchange(
    gw: &mut World,
    member: usize,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
    wait_ms: u64,
    kept: &mut Vec<Output>,
) -> (u16, Value) {
    let req = http_request(method, path, headers);
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let t = gw.request(member, req, body.as_bytes());
    let limit = gw.now() + wait_ms;
    gw.run_until_idle_or(limit);
    let mut answer = (0, json!("no answer"));
    for o in gw.drain() {
        match o {
            Output::Response { ticket, response } if ticket == t => {
                let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                answer = (response.status, v);
            }
            Output::Refused { ticket } if ticket == t => answer = (0, Value::Null),
            other => kept.push(other),
        }
    }
    answer
}

fn http_request(method: &str, path: &str, headers: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn b64(s: &str) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(s.as_bytes())
}

fn put(gw: &mut World, member: usize, k: &str, v: &str) -> (u16, Value) {
    call(
        gw,
        member,
        "POST",
        "/v3/kv/put",
        json!({"key": b64(k), "value": b64(v)}),
        10_000,
    )
}

fn get(gw: &mut World, member: usize, k: &str, serializable: bool) -> (u16, Value) {
    let body = json!({"key": b64(k), "serializable": serializable});
    call(gw, member, "POST", "/v3/kv/range", body, 10_000)
}

fn state(gw: &mut World) -> Value {
    call(gw, 0, "GET", "/_sim/state", Value::Null, 0).1
}

#[test]
fn a_fresh_cluster_has_member_0_as_leader_at_revision_1() {
    let mut gw = world();
    let s = state(&mut gw);
    assert_eq!(s["leader"], 0);
    assert_eq!(s["members"].as_array().map(Vec::len), Some(3));
    assert_eq!(get(&mut gw, 2, "x", false).1["header"]["revision"], "1");
}

#[test]
fn after_the_leader_crashes_another_is_elected_and_writes_go_on() {
    let mut gw = world();
    assert_eq!(put(&mut gw, 1, "a", "1").0, 200);
    let s = call(&mut gw, 1, "POST", "/_sim/crash", json!({"member": 0}), 0).1;
    assert_eq!(s["members"][0]["crashed"], true);
    // a crashed member refuses connections
    assert_eq!(put(&mut gw, 0, "a", "2").0, 0);
    let t = gw.now();
    gw.advance_to(t + 3_000);
    let s = state(&mut gw);
    let leader = s["leader"].as_u64().unwrap_or(0);
    assert!(leader == 1 || leader == 2, "new leader: {s}");
    assert!(s["members"][1]["term"].as_u64() > Some(2));
    let (status, r) = put(&mut gw, 2, "a", "2");
    assert_eq!(status, 200, "{r}");
    // the old leader restarts, catches up and serves the new value
    call(&mut gw, 1, "POST", "/_sim/restart", json!({"member": 0}), 0);
    let t = gw.now();
    gw.advance_to(t + 1_000);
    let r = get(&mut gw, 0, "a", true).1;
    assert_eq!(r["kvs"][0]["value"], b64("2"));
}

/// A down member's port takes no connection: a client that connects while
/// it is down is refused at once (the socket closes unanswered), and what
/// it still sends on that dead connection after the member restarted
/// reaches nothing: no answer, no stream, no watcher.
#[test]
fn a_connection_to_a_down_member_is_refused_and_stays_dead_after_a_restart() {
    let mut gw = world();
    let bodies = [
        ("/v3/watch", json!({"create_request": {"key": b64("k")}})),
        ("/v3/lease/keepalive", json!({"ID": 1})),
        ("/v3/kv/put", json!({"key": b64("k"), "value": b64("v")})),
    ];
    for (path, body) in bodies {
        call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 2}), 0);
        let t = gw.submit(2, http_request("POST", path, &[]));
        let out = gw.drain();
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Refused { ticket } if *ticket == t)),
            "{path}: refused at once: {out:?}"
        );
        call(&mut gw, 0, "POST", "/_sim/restart", json!({"member": 2}), 0);
        settle(&mut gw, 1_000);
        gw.body(t, body.to_string().as_bytes());
        gw.finish(t);
        settle(&mut gw, 1_000);
        let late: Vec<Output> = gw.drain().into_iter().filter(|o| o.ticket() == t).collect();
        assert!(late.is_empty(), "{path}: the dead ticket answered {late:?}");
        assert_eq!(state(&mut gw)["members"][2]["watchers"], 0, "{path}");
    }
}

#[test]
fn a_partitioned_follower_serves_stale_serializable_reads_but_no_linearizable_ones() {
    let mut gw = world();
    put(&mut gw, 0, "k", "old");
    // followers apply once the next heartbeat tells them the commit index
    let t = gw.now();
    gw.advance_to(t + 200);
    call(
        &mut gw,
        0,
        "POST",
        "/_sim/partition",
        json!({"groups": [[0, 1], [2]]}),
        0,
    );
    assert_eq!(put(&mut gw, 0, "k", "new").0, 200);
    let (status, stale) = get(&mut gw, 2, "k", true);
    assert_eq!(status, 200);
    assert_eq!(
        stale["kvs"][0]["value"],
        b64("old"),
        "the isolated member has not seen the write"
    );
    let (status, r) = get(&mut gw, 2, "k", false);
    assert_eq!(status, 503, "{r}");
    assert_eq!(r["error"], "etcdserver: request timed out");
    call(&mut gw, 0, "POST", "/_sim/heal", Value::Null, 0);
    let t = gw.now();
    gw.advance_to(t + 5_000);
    assert_eq!(get(&mut gw, 2, "k", false).1["kvs"][0]["value"], b64("new"));
}

#[test]
fn without_a_quorum_writes_time_out_and_health_says_why() {
    let mut gw = world();
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 1}), 0);
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 2}), 0);
    let (status, r) = put(&mut gw, 0, "k", "v");
    assert_eq!(
        (status, r["error"].clone()),
        (503, json!("etcdserver: request timed out"))
    );
    // check-quorum: the lone leader steps down
    let t = gw.now();
    gw.advance_to(t + 3_000);
    let (status, _) = call(&mut gw, 0, "GET", "/health", Value::Null, 0);
    assert_eq!(status, 503);
    let req = HttpRequest {
        method: "GET".into(),
        path: "/health".into(),
        headers: vec![],
    };
    let tk = gw.request(0, req, b"");
    gw.run_until_idle_or(gw.now());
    let body = gw.drain().into_iter().find_map(|o| match o {
        Output::Response { ticket, response } if ticket == tk => Some(response.body),
        _ => None,
    });
    assert_eq!(
        body.as_deref(),
        Some(&b"{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}\n"[..])
    );
}

#[test]
fn transfer_leadership_moves_the_leader_in_a_new_term() {
    let mut gw = world();
    let s = call(
        &mut gw,
        0,
        "POST",
        "/_sim/transfer",
        json!({"member": 2}),
        0,
    )
    .1;
    let t = gw.now();
    gw.advance_to(t + 500);
    let s2 = state(&mut gw);
    assert_eq!(s2["leader"], 2, "{s}");
    assert!(s2["members"][2]["term"].as_u64() > Some(2));
}

#[test]
fn an_added_member_catches_up() {
    let mut gw = world();
    for i in 0..20 {
        put(&mut gw, 0, &format!("k{i}"), "v");
    }
    let t = gw.now();
    gw.advance_to(t + 6_000);
    let s = call(
        &mut gw,
        0,
        "POST",
        "/_sim/add_member",
        json!({"learner": false}),
        0,
    )
    .1;
    assert_eq!(s["members"].as_array().map(Vec::len), Some(4), "{s}");
    let t = gw.now();
    gw.advance_to(t + 2_000);
    let r = get(&mut gw, 3, "k19", true).1;
    assert_eq!(r["kvs"][0]["value"], b64("v"), "{r}");
    let list = call(
        &mut gw,
        3,
        "POST",
        "/v3/cluster/member/list",
        json!({}),
        1_000,
    )
    .1;
    assert_eq!(list["members"].as_array().map(Vec::len), Some(4));
}

#[test]
fn with_frequent_snapshots_a_new_member_catches_up_from_a_snapshot() {
    let mut gw = World::new(Config {
        members: 3,
        snapshot_count: 10,
        ..Config::default()
    });
    for i in 0..30 {
        put(&mut gw, 0, &format!("k{i}"), "v");
    }
    let t = gw.now();
    gw.advance_to(t + 6_000);
    let s = state(&mut gw);
    assert!(
        s["members"][0]["log"]["first"].as_u64() > Some(10),
        "the leader compacted its log: {s}"
    );
    call(&mut gw, 0, "POST", "/_sim/add_member", json!({}), 0);
    let t = gw.now();
    gw.advance_to(t + 2_000);
    let trace = call(&mut gw, 0, "GET", "/_sim/trace", Value::Null, 0).1;
    let restored = trace["events"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["kind"] == "snapshot_restored" && e["member"] == 3);
    assert!(restored, "the new member restored a snapshot");
    assert_eq!(get(&mut gw, 3, "k29", true).1["kvs"][0]["value"], b64("v"));
}

#[test]
fn a_learner_added_after_the_leader_compacted_its_log_catches_up_from_the_leaders_state() {
    // etcd's leader sends a new member its state as of now, with the
    // current configuration (`createMergedSnapshotMessage`), not the last
    // snapshot it took, which knows nothing of the learner
    let mut gw = World::new(Config {
        members: 3,
        snapshot_count: 10,
        ..Config::default()
    });
    // writes until the leader has just taken a snapshot: the next one is
    // ten entries away, long after the learner needs one
    let mut i = 0;
    loop {
        put(&mut gw, 0, &format!("k{i}"), "v");
        i += 1;
        let s = state(&mut gw);
        let leader = &s["members"][0];
        let snapshot = leader["log"]["first"].as_u64().map(|first| first - 1);
        if i >= 20 && snapshot == leader["applied"].as_u64() {
            break;
        }
    }
    let added = call(
        &mut gw,
        0,
        "POST",
        "/_sim/add_member",
        json!({"learner": true}),
        0,
    );
    assert_eq!(added.0, 200, "{}", added.1);
    let t = gw.now();
    gw.advance_to(t + 3_000);
    let s = state(&mut gw);
    let leader_applied = s["members"][0]["applied"].as_u64();
    assert_eq!(s["members"][3]["applied"].as_u64(), leader_applied, "{s}");
    let last = format!("k{}", i - 1);
    assert_eq!(get(&mut gw, 3, &last, true).1["kvs"][0]["value"], b64("v"));
}

#[test]
fn the_trace_since_n_starts_at_event_n() {
    let mut gw = world();
    let next = call(&mut gw, 0, "GET", "/_sim/trace", Value::Null, 0).1["next"].clone();
    put(&mut gw, 0, "k", "v");
    let since = format!("/_sim/trace?since={next}");
    let trace = call(&mut gw, 0, "GET", &since, Value::Null, 0).1;
    let first = &trace["events"][0]["seq"];
    assert_eq!(first, &next, "{trace}");
}

/// `/_sim/log` of member `m`, with a query tail (`&from=5`) if any.
fn raft_log(gw: &mut World, m: usize, tail: &str) -> Value {
    let path = format!("/_sim/log?member={m}{tail}");
    let (status, log) = call(gw, 0, "GET", &path, Value::Null, 0);
    assert_eq!(status, 200, "{log}");
    log
}

/// A log's entries as (index, term, what).
fn entries(log: &Value) -> Vec<(u64, u64, String)> {
    let list = log["entries"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|e| {
            let n = |k: &str| e[k].as_u64().unwrap_or(0);
            (
                n("index"),
                n("term"),
                e["what"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

fn settle(gw: &mut World, ms: u64) {
    let t = gw.now();
    gw.advance_to(t + ms);
}

/// etcd's bootstrap: one conf change per member at term 1; then member 0
/// leads in term 2, appends its empty entry (Raft paper 8), and the members
/// publish their attributes and the leader sets the cluster version.
#[test]
fn a_fresh_log_holds_the_bootstrap_conf_changes_then_the_first_leaders_entries() {
    let mut gw = world();
    let s = state(&mut gw);
    let ids: Vec<String> = (0..3)
        .map(|m| s["members"][m]["id"].as_str().unwrap_or("").to_string())
        .collect();
    let log = raft_log(&mut gw, 0, "");
    let mut want: Vec<(u64, u64, String)> = (0..3)
        .map(|m| (m as u64 + 1, 1, format!("add_node {}", ids[m])))
        .collect();
    let first_leader = [
        "empty",
        "member_attr_set",
        "member_attr_set",
        "member_attr_set",
        "cluster_version_set",
    ];
    want.extend(
        first_leader
            .iter()
            .zip(4..)
            .map(|(w, i)| (i, 2, w.to_string())),
    );
    assert_eq!(entries(&log), want, "{log}");
    let types: Vec<&str> = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        types,
        [["conf_change"; 3].as_slice(), &["normal"; 5]].concat()
    );
    assert_eq!(log["member"], 0);
    assert_eq!(log["id"], ids[0].as_str());
    assert_eq!((&log["first"], &log["last"]), (&json!(1), &json!(8)));
    assert_eq!(
        (&log["term"], &log["commit"], &log["applied"]),
        (&json!(2), &json!(8), &json!(8))
    );
    assert_eq!(log["snapshot"], json!({"index": 0, "term": 0}));
    for m in [1, 2] {
        let other = raft_log(&mut gw, m, "");
        assert_eq!(entries(&other), want, "member {m}: {other}");
        assert_eq!(other["id"], ids[m].as_str());
    }
}

/// Raft paper 5.3: the leader appends a write at its term and replicates
/// it; once committed every member holds the same entry at the same index.
#[test]
fn a_committed_write_is_the_same_entry_with_the_leaders_term_on_every_member() {
    let mut gw = world();
    let last = raft_log(&mut gw, 0, "")["last"].as_u64().unwrap_or(0);
    put(&mut gw, 0, "a", "1");
    put(&mut gw, 0, "b", "2");
    settle(&mut gw, 200); // followers learn the commit index
    let term = state(&mut gw)["members"][0]["term"].as_u64().unwrap_or(0);
    let leaders = entries(&raft_log(&mut gw, 0, ""));
    let tail = &leaders[last as usize..];
    let want = [
        (last + 1, term, "put".into()),
        (last + 2, term, "put".into()),
    ];
    assert_eq!(tail, want);
    for m in [1, 2] {
        let log = raft_log(&mut gw, m, "");
        assert_eq!(entries(&log), leaders, "member {m}");
        assert_eq!(log["commit"], last + 2, "member {m}: {log}");
    }
    // the trace names an applied entry as the log does
    let trace = call(&mut gw, 0, "GET", "/_sim/trace", Value::Null, 0).1;
    let applied = trace["events"].as_array().into_iter().flatten().any(|e| {
        e["kind"] == "apply" && e["index"] == last + 1 && e["term"] == term && e["entry"] == "put"
    });
    assert!(applied, "{trace}");
}

/// Raft paper 5.3 and 5.4: a leader cut off from the majority still
/// appends a write, but never commits it; the majority elects a leader in
/// a higher term whose entry at that index differs. After the partition
/// heals, the old leader's uncommitted entry is overwritten by the new
/// leader's, and the write it carried never happens.
#[test]
fn a_deposed_leaders_uncommitted_entry_is_overwritten_by_the_new_leaders_log() {
    let mut gw = world();
    put(&mut gw, 0, "k", "before");
    settle(&mut gw, 200);
    let committed = raft_log(&mut gw, 0, "")["commit"].as_u64().unwrap_or(0);
    let old_term = state(&mut gw)["members"][0]["term"].as_u64().unwrap_or(0);
    call(
        &mut gw,
        0,
        "POST",
        "/_sim/partition",
        json!({"groups": [[0], [1, 2]]}),
        0,
    );
    let (status, r) = put(&mut gw, 0, "k", "lost");
    assert_eq!(
        (status, &r["error"]),
        (503, &json!("etcdserver: request timed out"))
    );

    let old = raft_log(&mut gw, 0, "");
    let at = committed + 1;
    assert_eq!(
        entries(&old).last(),
        Some(&(at, old_term, "put".into())),
        "{old}"
    );
    assert_eq!(old["commit"], committed, "no majority: never committed");

    let s = state(&mut gw);
    let leader = s["leader"].as_u64().unwrap_or(0) as usize;
    assert!(leader == 1 || leader == 2, "{s}");
    let new = raft_log(&mut gw, leader, "");
    let new_term = new["term"].as_u64().unwrap_or(0);
    assert!(new_term > old_term, "{new}");
    assert_eq!(
        entries(&new)[..committed as usize],
        entries(&old)[..committed as usize]
    );
    assert_eq!(
        entries(&new).last(),
        Some(&(at, new_term, "empty".into())),
        "{new}"
    );
    assert_eq!(put(&mut gw, leader, "k", "after").0, 200);

    call(&mut gw, 0, "POST", "/_sim/heal", Value::Null, 0);
    settle(&mut gw, 2_000);
    let new = entries(&raft_log(&mut gw, leader, ""));
    assert_eq!(
        new[at as usize - 1..],
        [
            (at, new_term, "empty".into()),
            (at + 1, new_term, "put".into())
        ]
    );
    for m in 0..3 {
        let log = raft_log(&mut gw, m, "");
        assert_eq!(entries(&log), new, "member {m}");
        assert_eq!(log["commit"], at + 1, "member {m}");
    }
    let r = get(&mut gw, 0, "k", true).1;
    assert_eq!(r["kvs"][0]["value"], b64("after"), "{r}");
}

#[test]
fn the_log_pages_with_from_and_limit_and_starts_after_the_snapshot() {
    let mut gw = World::new(Config {
        members: 3,
        snapshot_count: 10,
        ..Config::default()
    });
    let page = entries(&raft_log(&mut gw, 1, "&from=5&limit=2"));
    assert_eq!(page.iter().map(|e| e.0).collect::<Vec<_>>(), [5, 6]);
    assert_eq!(entries(&raft_log(&mut gw, 1, "&limit=0")), []);
    for i in 0..30 {
        put(&mut gw, 0, &format!("k{i}"), "v");
    }
    settle(&mut gw, 200);
    let log = raft_log(&mut gw, 0, "&from=1");
    let first = log["first"].as_u64().unwrap_or(0);
    assert!(first > 10, "compacted: {log}");
    assert_eq!(log["snapshot"], json!({"index": first - 1, "term": 2}));
    assert_eq!(entries(&log).first().map(|e| e.0), Some(first), "{log}");
    assert_eq!(entries(&log).last().map(|e| e.0), log["last"].as_u64());
}

/// A crashed member keeps its durable log (what it restarts from) and
/// falls behind; after a restart it catches up.
#[test]
fn a_crashed_members_log_is_its_durable_log() {
    let mut gw = world();
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 2}), 0);
    let before = raft_log(&mut gw, 2, "");
    assert_eq!(before["last"], 8, "{before}");
    put(&mut gw, 0, "k", "v");
    assert_eq!(raft_log(&mut gw, 2, ""), before);
    call(&mut gw, 0, "POST", "/_sim/restart", json!({"member": 2}), 0);
    settle(&mut gw, 1_000);
    assert_eq!(
        entries(&raft_log(&mut gw, 2, "")),
        entries(&raft_log(&mut gw, 0, ""))
    );
}

#[test]
fn the_log_wants_a_get_with_an_existing_member() {
    let mut gw = world();
    let cases = [
        (
            "GET",
            "/_sim/log",
            400,
            json!({"error": "\"member\" is required"}),
        ),
        (
            "GET",
            "/_sim/log?member=99",
            400,
            json!({"error": "etcdserver: member not found"}),
        ),
        (
            "GET",
            "/_sim/log?member=x",
            400,
            json!({"error": "\"member\" must be a number"}),
        ),
        (
            "GET",
            "/_sim/log?member=0&limit=-1",
            400,
            json!({"error": "\"limit\" must be a number"}),
        ),
        ("POST", "/_sim/log?member=0", 405, Value::Null),
    ];
    for (method, path, status, body) in cases {
        assert_eq!(
            call(&mut gw, 0, method, path, Value::Null, 0),
            (status, body),
            "{method} {path}"
        );
    }
}

/// A removed member stops when it applies its own removal; its log ends
/// with that conf change and stays listed.
#[test]
fn a_removed_members_log_ends_with_its_removal() {
    let mut gw = world();
    call(
        &mut gw,
        0,
        "POST",
        "/_sim/remove_member",
        json!({"member": 2}),
        0,
    );
    settle(&mut gw, 1_000);
    let id = state(&mut gw)["members"][2]["id"].clone();
    let log = raft_log(&mut gw, 2, "");
    let removal = (9, 2, format!("remove_node {}", id.as_str().unwrap_or("")));
    assert_eq!(entries(&log).last(), Some(&removal), "{log}");
    assert_eq!(log["applied"], 9);
    assert_eq!(entries(&raft_log(&mut gw, 0, ""))[8], removal);
}

// ---- etcd's gRPC interceptors: hasleader and learners ----

const HASLEADER: &[(&str, &str)] = &[("Grpc-Metadata-Hasleader", "true")];

/// grpc-gateway's answer to a failed unary call.
fn grpc_error(code: i64, msg: &str) -> Value {
    json!({"error": msg, "code": code, "message": msg})
}

/// grpc-gateway's last chunk of a stream that failed (no newline after it).
fn stream_error_chunk(msg: &str) -> String {
    format!(
        r#"{{"error":{{"grpc_code":14,"http_code":503,"message":"{msg}","http_status":"Service Unavailable"}}}}"#
    )
}

/// A stream etcd refused before any message: the error's status, then
/// the error chunk.
fn refused_stream(msg: &str) -> StreamAnswer {
    StreamAnswer {
        status: Some(503),
        chunks: vec![stream_error_chunk(msg)],
        ended: true,
    }
}

/// Opens a stream on `member` (`path`, first request message `body`,
/// request body left open); its outputs show up in later drains.
fn open_stream(
    gw: &mut World,
    member: usize,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Ticket {
    let t = gw.submit(member, http_request("POST", path, headers));
    gw.body(t, body.as_bytes());
    t
}

fn open_watch(gw: &mut World, member: usize, headers: &[(&str, &str)]) -> Ticket {
    let body = json!({"create_request": {"key": b64("w")}}).to_string();
    open_stream(gw, member, "/v3/watch", headers, &body)
}

/// Runs `ms` of virtual time, keeping every output in `kept`.
fn run_for(gw: &mut World, ms: u64, kept: &mut Vec<Output>) {
    let t = gw.now();
    gw.advance_to(t + ms);
    kept.extend(gw.drain());
}

/// A stream's answer so far: the head's status, the chunks as text, and
/// whether it ended.
#[derive(Debug, Default, PartialEq)]
struct StreamAnswer {
    status: Option<u16>,
    chunks: Vec<String>,
    ended: bool,
}

fn stream_answer(outs: &[Output], t: Ticket) -> StreamAnswer {
    let mut a = StreamAnswer::default();
    for o in outs.iter().filter(|o| o.ticket() == t) {
        match o {
            Output::StreamHead { status, .. } => a.status = Some(*status),
            Output::StreamChunk { data, .. } => a.chunks.push(String::from_utf8_lossy(data).into()),
            Output::StreamEnd { .. } => a.ended = true,
            other => panic!("not a stream answer: {other:?}"),
        }
    }
    a
}

/// Member 0 alone on one side of a partition, until it knows no leader
/// (check-quorum makes the cut-off leader step down; pre-vote keeps it a
/// pre-candidate without one). Returns when the partition began and the
/// tick at which member 0 lost its leader.
fn isolate_member_0(gw: &mut World, kept: &mut Vec<Output>) -> (u64, u64) {
    let groups = json!({"groups": [[0], [1, 2]]});
    exchange(gw, 0, "POST", "/_sim/partition", &[], groups, 0, kept);
    let partitioned = gw.now();
    loop {
        // from tick to tick: a member loses its leader on a tick
        gw.advance_to((gw.now() / 100 + 1) * 100);
        kept.extend(gw.drain());
        let s = exchange(gw, 0, "GET", "/_sim/state", &[], Value::Null, 0, kept).1;
        if s["members"][0]["leader_id"] == "0" {
            return (partitioned, gw.now());
        }
        assert!(gw.now() < 10_000, "member 0 still knows a leader: {s}");
    }
}

#[test]
fn with_a_leader_known_hasleader_calls_are_served_as_usual() {
    let mut gw = world();
    let put = json!({"key": b64("k"), "value": b64("v")});
    for headers in [
        HASLEADER,
        &[("grpc-metadata-hasleader", "true")],
        &[("Grpc-Metadata-Hasleader", "false")],
    ] {
        for m in [0, 1] {
            let (status, r) = call_with(
                &mut gw,
                m,
                "POST",
                "/v3/kv/put",
                headers,
                put.clone(),
                1_000,
            );
            assert_eq!(status, 200, "{headers:?} on member {m}: {r}");
            let range = json!({"key": b64("k")});
            let (status, r) = call_with(&mut gw, m, "POST", "/v3/kv/range", headers, range, 1_000);
            assert_eq!(
                (status, &r["kvs"][0]["value"]),
                (200, &json!(b64("v"))),
                "{r}"
            );
        }
    }
}

#[test]
fn a_member_without_leader_refuses_hasleader_calls_at_once() {
    let mut gw = world();
    put(&mut gw, 0, "k", "v");
    let kept = &mut Vec::new();
    isolate_member_0(&mut gw, kept);
    let no_leader = grpc_error(14, "etcdserver: no leader");
    for (path, body) in [
        ("/v3/kv/put", json!({"key": b64("k"), "value": b64("v2")})),
        ("/v3/kv/range", json!({"key": b64("k")})),
        (
            "/v3/kv/range",
            json!({"key": b64("k"), "serializable": true}),
        ),
        ("/v3/lease/grant", json!({"TTL": 60})),
        ("/v3/maintenance/status", json!({})),
        // the interceptor runs before the handler checks the request
        ("/v3/kv/put", json!({"key": ""})),
    ] {
        let r = call_with(&mut gw, 0, "POST", path, HASLEADER, body, 0);
        assert_eq!(r, (503, no_leader.clone()), "{path}");
    }
    // ... but after the gateway decoded the body
    let bad = call_with(&mut gw, 0, "POST", "/v3/kv/put", HASLEADER, json!([]), 0);
    assert_eq!(bad.0, 400, "{bad:?}");
    // a header that is not `true` asks for nothing
    let headers = &[("Grpc-Metadata-Hasleader", "yes")];
    let stale = json!({"key": b64("k"), "serializable": true});
    let (status, r) = call_with(&mut gw, 0, "POST", "/v3/kv/range", headers, stale, 0);
    assert_eq!(
        (status, &r["kvs"][0]["value"]),
        (200, &json!(b64("v"))),
        "{r}"
    );
    // without the header a write waits for a leader until the deadline
    let started = gw.now();
    let (status, r) = put(&mut gw, 0, "k", "v3");
    assert_eq!(
        (status, &r["error"]),
        (500, &json!("context deadline exceeded"))
    );
    assert!(gw.now() - started >= 7_000);
}

#[test]
fn hasleader_streams_end_after_three_election_timeouts_without_a_leader() {
    let mut gw = world();
    let kept = &mut Vec::new();
    let lease = json!({"TTL": 60, "ID": 7});
    exchange(
        &mut gw,
        0,
        "POST",
        "/v3/lease/grant",
        &[],
        lease,
        1_000,
        kept,
    );
    let with = open_watch(&mut gw, 0, HASLEADER);
    let without = open_watch(&mut gw, 0, &[]);
    let keep_alive = open_stream(&mut gw, 0, "/v3/lease/keepalive", HASLEADER, r#"{"ID":7}"#);
    let silent = open_stream(&mut gw, 0, "/v3/watch", HASLEADER, "");
    run_for(&mut gw, 100, kept);
    for t in [with, without, keep_alive] {
        let a = stream_answer(kept, t);
        assert_eq!(
            (a.status, a.chunks.len(), a.ended),
            (Some(200), 1, false),
            "{a:?}"
        );
    }
    kept.clear();
    let (partitioned, lost) = isolate_member_0(&mut gw, kept);
    // etcd checks once per election timeout (here at each whole second);
    // the third check in a row without a leader ends the streams
    let third_check = lost.div_ceil(1_000) * 1_000 + 2_000;
    assert!(third_check - partitioned <= 5_000);
    gw.advance_to(third_check - 1);
    kept.extend(gw.drain());
    for t in [with, without, keep_alive, silent] {
        assert_eq!(
            stream_answer(kept, t),
            StreamAnswer::default(),
            "{t} ended before the third check"
        );
    }
    gw.advance_to(third_check);
    kept.extend(gw.drain());
    for t in [with, keep_alive] {
        let want = StreamAnswer {
            status: None,
            chunks: vec![stream_error_chunk("etcdserver: no leader")],
            ended: true,
        };
        assert_eq!(stream_answer(kept, t), want);
    }
    // the gateway learns it only once it has sent a first request message
    assert_eq!(stream_answer(kept, silent), StreamAnswer::default());
    gw.body(silent, br#"{"create_request":{"key":"dw=="}}"#);
    run_for(&mut gw, 0, kept);
    assert_eq!(
        stream_answer(kept, silent),
        refused_stream("etcdserver: no leader")
    );
    // a stream opened without the header is left alone
    run_for(&mut gw, 3_000, kept);
    assert_eq!(stream_answer(kept, without), StreamAnswer::default());
    let watchers = exchange(&mut gw, 0, "GET", "/_sim/state", &[], Value::Null, 0, kept).1;
    assert_eq!(watchers["members"][0]["watchers"], 1, "{watchers}");
}

#[test]
fn a_hasleader_stream_opened_without_a_leader_is_refused_once_its_first_message_is_read() {
    let mut gw = world();
    let kept = &mut Vec::new();
    isolate_member_0(&mut gw, kept);
    kept.clear();
    let refused = refused_stream("etcdserver: no leader");
    let t = open_watch(&mut gw, 0, HASLEADER);
    run_for(&mut gw, 0, kept);
    assert_eq!(stream_answer(kept, t), refused);
    let head = kept.iter().find_map(|o| match o {
        Output::StreamHead { headers, .. } => Some(headers.clone()),
        _ => None,
    });
    let names: Vec<String> = head.unwrap_or_default().into_iter().map(|h| h.0).collect();
    assert!(names.iter().any(|n| n == "Content-Type"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("Grpc-Metadata")),
        "{names:?}"
    );
    // the gateway answers only once it has read the first request message
    let t = open_stream(&mut gw, 0, "/v3/watch", HASLEADER, "");
    run_for(&mut gw, 100, kept);
    assert_eq!(stream_answer(kept, t), StreamAnswer::default());
    gw.body(t, br#"{"create_request":{"key":"dw=="}}"#);
    run_for(&mut gw, 0, kept);
    assert_eq!(stream_answer(kept, t), refused);
    // a first message that does not decode is answered as such
    let t = open_stream(&mut gw, 0, "/v3/watch", HASLEADER, "{");
    gw.finish(t);
    run_for(&mut gw, 0, kept);
    let decode = kept.iter().find_map(|o| match o {
        Output::Response { ticket, response } if *ticket == t => Some(response.status),
        _ => None,
    });
    assert_eq!(decode, Some(500));
    // an empty keep-alive body ends the requests: refused too
    let t = open_stream(&mut gw, 0, "/v3/lease/keepalive", HASLEADER, "");
    gw.finish(t);
    run_for(&mut gw, 0, kept);
    assert_eq!(stream_answer(kept, t), refused);
    // the snapshot stream's one request is read whole first
    let t = open_stream(&mut gw, 0, "/v3/maintenance/snapshot", HASLEADER, "{}");
    gw.finish(t);
    run_for(&mut gw, 0, kept);
    assert_eq!(stream_answer(kept, t), refused);
}

#[test]
fn a_learner_serves_only_status_serializable_ranges_and_snapshots_until_promoted() {
    let mut gw = world();
    put(&mut gw, 0, "k", "v");
    settle(&mut gw, 6_000);
    let s = call(
        &mut gw,
        0,
        "POST",
        "/_sim/add_member",
        json!({"learner": true}),
        0,
    )
    .1;
    let id = s["members"][3]["id"].clone();
    settle(&mut gw, 2_000);
    let not_for_learner = (
        503,
        grpc_error(14, "etcdserver: rpc not supported for learner"),
    );
    assert_eq!(put(&mut gw, 3, "k", "v2"), not_for_learner);
    assert_eq!(get(&mut gw, 3, "k", false), not_for_learner);
    let (status, r) = get(&mut gw, 3, "k", true);
    assert_eq!(
        (status, &r["kvs"][0]["value"]),
        (200, &json!(b64("v"))),
        "{r}"
    );
    let (status, r) = call(
        &mut gw,
        3,
        "POST",
        "/v3/maintenance/status",
        json!({}),
        1_000,
    );
    assert_eq!(status, 200, "{r}");
    let (status, r) = call(
        &mut gw,
        3,
        "POST",
        "/v3/cluster/member/list",
        json!({}),
        1_000,
    );
    assert_eq!((status, r), not_for_learner);
    let kept = &mut Vec::new();
    let watch = open_watch(&mut gw, 3, &[]);
    let snapshot = open_stream(&mut gw, 3, "/v3/maintenance/snapshot", &[], "{}");
    gw.finish(snapshot);
    run_for(&mut gw, 100, kept);
    assert_eq!(
        stream_answer(kept, watch),
        refused_stream("etcdserver: rpc not supported for learner")
    );
    let snap = stream_answer(kept, snapshot);
    assert_eq!((snap.status, snap.ended), (Some(200), true), "{snap:?}");

    let promote = json!({"ID": id});
    let (status, r) = call(
        &mut gw,
        0,
        "POST",
        "/v3/cluster/member/promote",
        promote,
        1_000,
    );
    assert_eq!(status, 200, "{r}");
    settle(&mut gw, 1_000);
    let (status, r) = put(&mut gw, 3, "k", "v2");
    assert_eq!(status, 200, "{r}");
}

// ---- what a request answers when no leader serves it in time (etcd's
// Propose blocks while the member knows no leader; parseProposeCtxErr;
// the forwarding of lease time-to-live) ----

fn knows_leader(gw: &mut World, m: usize) -> bool {
    state(gw)["members"][m]["leader_id"] != "0"
}

#[test]
fn a_write_waits_for_a_leader_and_succeeds_once_one_is_elected() {
    let mut gw = world();
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 0}), 0);
    call(
        &mut gw,
        1,
        "POST",
        "/_sim/partition",
        json!({"groups": [[0], [1], [2]]}),
        0,
    );
    // no election can succeed: both survivors lose their leader
    settle(&mut gw, 3_000);
    assert!(!knows_leader(&mut gw, 1) && !knows_leader(&mut gw, 2));
    let put_body = json!({"key": b64("k"), "value": b64("v")}).to_string();
    let req = HttpRequest {
        method: "POST".into(),
        path: "/v3/kv/put".into(),
        headers: vec![],
    };
    let t = gw.request(1, req, put_body.as_bytes());
    let started = gw.now();
    settle(&mut gw, 2_000);
    assert!(
        !gw.drain().iter().any(|o| o.ticket() == t),
        "the write waits"
    );
    call(&mut gw, 1, "POST", "/_sim/heal", Value::Null, 0);
    let mut answer = None;
    while answer.is_none() && gw.now() < started + 7_000 {
        settle(&mut gw, 100);
        answer = gw.drain().into_iter().find_map(|o| match o {
            Output::Response { ticket, response } if ticket == t => Some(response),
            _ => None,
        });
    }
    let answer = answer.expect("answered within the request timeout");
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    assert!(gw.now() < started + 7_000);
    assert_eq!(get(&mut gw, 2, "k", false).1["kvs"][0]["value"], b64("v"));
}

#[test]
fn a_write_that_never_finds_a_leader_ends_with_the_context_deadline() {
    let mut gw = world();
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 0}), 0);
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 1}), 0);
    settle(&mut gw, 3_000);
    assert!(!knows_leader(&mut gw, 2));
    let before = gw.now();
    let (status, r) = put(&mut gw, 2, "k", "v");
    // Go's context error, which gRPC 1.38 sends as Unknown
    assert_eq!(
        (status, r),
        (
            500,
            json!({"error": "context deadline exceeded", "code": 2, "message": "context deadline exceeded"})
        )
    );
    assert!(gw.now() >= before + 7_000);
    // nothing was proposed: after restarts the key does not exist
    call(&mut gw, 2, "POST", "/_sim/restart", json!({"member": 0}), 0);
    call(&mut gw, 2, "POST", "/_sim/restart", json!({"member": 1}), 0);
    settle(&mut gw, 3_000);
    assert_eq!(get(&mut gw, 2, "k", false).1["count"], Value::Null);
}

/// A lease granted by leader 0, then no leader anywhere: 0 crashed, 1 and 2
/// cut from each other (for 3 s: both lost their leader). The lease's id.
fn lease_then_no_leader(gw: &mut World) -> String {
    let (_, grant) = call(gw, 0, "POST", "/v3/lease/grant", json!({"TTL": 60}), 1_000);
    let id = grant["ID"].as_str().unwrap_or("0").to_string();
    // (the followers learn that the grant committed)
    settle(gw, 300);
    call(gw, 0, "POST", "/_sim/crash", json!({"member": 0}), 0);
    let split = json!({"groups": [[0], [1], [2]]});
    call(gw, 1, "POST", "/_sim/partition", split, 0);
    settle(gw, 3_000);
    id
}

#[test]
fn a_lease_time_to_live_without_a_leader_says_no_leader_and_with_one_answers() {
    let mut gw = world();
    let id = lease_then_no_leader(&mut gw);
    let ttl = json!({ "ID": id });
    let (status, r) = call(
        &mut gw,
        1,
        "POST",
        "/v3/lease/timetolive",
        ttl.clone(),
        10_000,
    );
    assert_eq!(
        (status, &r["error"]),
        (503, &json!("etcdserver: no leader"))
    );
    // asked again, and a leader appears meanwhile: answered
    let req = HttpRequest {
        method: "POST".into(),
        path: "/v3/lease/timetolive".into(),
        headers: vec![],
    };
    let t = gw.request(1, req, ttl.to_string().as_bytes());
    settle(&mut gw, 500);
    call(&mut gw, 1, "POST", "/_sim/heal", Value::Null, 0);
    let mut answer = None;
    for _ in 0..60 {
        settle(&mut gw, 100);
        if let Some(r) = gw.drain().into_iter().find_map(|o| match o {
            Output::Response { ticket, response } if ticket == t => Some(response),
            _ => None,
        }) {
            answer = Some(r);
            break;
        }
    }
    let answer = answer.expect("answered once a leader is elected");
    assert_eq!(answer.status, 200);
    let v: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    assert_eq!(v["ID"], json!(id));
}

#[test]
fn a_write_lost_with_the_crashed_leader_times_out_naming_the_cause() {
    let mut gw = world();
    // links of a few ms: the forwarded proposals are still on their way
    // when the leader dies; the members have been connected for a while
    // (etcd's isConnectedSince: since strictly before the request)
    let lan = json!({"latency_ms": 2, "jitter_ms": 1});
    call(&mut gw, 0, "POST", "/_sim/link", lan, 0);
    settle(&mut gw, 100);
    // members 1 and 2 forward a proposal each to leader 0, which dies with them
    let tickets: Vec<_> = (1..3)
        .map(|m| {
            let req = HttpRequest {
                method: "POST".into(),
                path: "/v3/kv/put".into(),
                headers: vec![],
            };
            let body = json!({"key": b64("k"), "value": b64("v")}).to_string();
            gw.request(m, req, body.as_bytes())
        })
        .collect();
    call(&mut gw, 1, "POST", "/_sim/crash", json!({"member": 0}), 0);
    let mut answers = std::collections::BTreeMap::new();
    for _ in 0..80 {
        settle(&mut gw, 100);
        for o in gw.drain() {
            if let Output::Response { ticket, response } = o {
                let v: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                answers.insert(ticket, (response.status, v["error"].clone()));
            }
        }
    }
    let leader = state(&mut gw)["leader"].as_u64().unwrap_or(0) as usize;
    assert!(leader == 1 || leader == 2);
    // the member that became leader within 2 s of its request blames the
    // old leader; the other is connected to the new leader: a plain timeout
    let failure = "etcdserver: request timed out, possibly due to previous leader failure";
    let plain = "etcdserver: request timed out";
    for (m, t) in (1..3).zip(tickets) {
        let want = if m == leader { failure } else { plain };
        assert_eq!(
            answers.get(&t),
            Some(&(503, json!(want))),
            "member {m}, leader {leader}"
        );
    }
}

#[test]
fn a_write_to_a_follower_cut_off_from_the_leader_times_out_for_connection_lost() {
    let mut gw = world();
    // member 1 hears the leader (so never campaigns) but cannot reach it
    call(
        &mut gw,
        0,
        "POST",
        "/_sim/block",
        json!({"from": 1, "to": 0}),
        0,
    );
    settle(&mut gw, 500);
    assert_eq!(
        state(&mut gw)["members"][1]["leader_id"],
        state(&mut gw)["members"][0]["id"]
    );
    let (status, r) = put(&mut gw, 1, "k", "v");
    assert_eq!(
        (status, &r["error"]),
        (
            503,
            &json!("etcdserver: request timed out, possibly due to connection lost")
        )
    );
    // a linearizable read there times out plainly
    let (status, r) = get(&mut gw, 1, "k", false);
    assert_eq!(
        (status, &r["error"]),
        (503, &json!("etcdserver: request timed out"))
    );
}

#[test]
fn a_keep_alive_waits_for_a_leader_then_renews_or_says_no_leader() {
    let mut gw = world();
    let id = lease_then_no_leader(&mut gw);
    let keep_alive = |gw: &mut World| {
        let req = HttpRequest {
            method: "POST".into(),
            path: "/v3/lease/keepalive".into(),
            headers: vec![],
        };
        let t = gw.submit(1, req);
        gw.body(t, json!({ "ID": id }).to_string().as_bytes());
        t
    };
    // no leader for the whole request timeout: the stream's first answer is
    // the error
    let t = keep_alive(&mut gw);
    settle(&mut gw, 6_900);
    assert!(!gw.drain().iter().any(|o| o.ticket() == t), "it waits");
    settle(&mut gw, 200);
    // (etcd refuses the stream: the error's status, then the error chunk)
    let out: Vec<Output> = gw.drain().into_iter().filter(|o| o.ticket() == t).collect();
    let [Output::StreamHead { status, .. }, Output::StreamChunk { data, .. }, Output::StreamEnd { .. }] =
        &out[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(*status, 503);
    assert_eq!(
        String::from_utf8_lossy(data),
        stream_error_chunk("etcdserver: no leader")
    );

    // a leader comes in time: renewed, then the stream ends after it
    let t = keep_alive(&mut gw);
    gw.finish(t);
    settle(&mut gw, 500);
    assert!(!gw.drain().iter().any(|o| o.ticket() == t), "it waits");
    call(&mut gw, 1, "POST", "/_sim/heal", Value::Null, 0);
    let mut out = Vec::new();
    for _ in 0..60 {
        settle(&mut gw, 100);
        out.extend(gw.drain().into_iter().filter(|o| o.ticket() == t));
    }
    let kinds: Vec<String> = out
        .iter()
        .map(|o| match o {
            Output::StreamChunk { data, .. } => {
                let v: Value = serde_json::from_slice(data).unwrap_or(Value::Null);
                format!("TTL {}", v["result"]["TTL"])
            }
            other => format!("{other:?}")
                .split([' ', '{'])
                .next()
                .unwrap_or("")
                .to_string(),
        })
        .collect();
    assert_eq!(kinds, ["StreamHead", "TTL \"60\"", "StreamEnd"]);
}

/// Sets up root and enables auth on member 0, then authenticates there.
fn enable_auth_and_log_in(gw: &mut World) -> String {
    for (path, body) in [
        (
            "/v3/auth/user/add",
            json!({"name": "root", "password": "pass"}),
        ),
        ("/v3/auth/role/add", json!({"name": "root"})),
        (
            "/v3/auth/user/grant",
            json!({"user": "root", "role": "root"}),
        ),
        ("/v3/auth/enable", json!({})),
    ] {
        assert_eq!(call(gw, 0, "POST", path, body, 10_000).0, 200, "{path}");
    }
    log_in(gw, 0)
}

fn log_in(gw: &mut World, member: usize) -> String {
    log_in_as(gw, member, "root", "pass")
}

fn log_in_as(gw: &mut World, member: usize, name: &str, password: &str) -> String {
    let body = json!({"name": name, "password": password});
    let (status, v) = call(gw, member, "POST", "/v3/auth/authenticate", body, 10_000);
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().unwrap_or_default().to_string()
}

/// Root adds user `u` with password `p` (and no role).
fn add_user_u(gw: &mut World, root: &str) {
    let add = json!({"name": "u", "password": "p"});
    let by_root = [("Authorization", root)];
    let (status, v) = call_with(gw, 0, "POST", "/v3/auth/user/add", &by_root, add, 10_000);
    assert_eq!(status, 200, "{v}");
}

fn put_as(gw: &mut World, member: usize, token: &str, k: &str) -> (u16, Value) {
    let body = json!({"key": b64(k), "value": b64("v")});
    let auth = [("Authorization", token)];
    call_with(gw, member, "POST", "/v3/kv/put", &auth, body, 10_000)
}

/// The unary answer to `t` among `outs`, its body parsed.
fn response_to(outs: &[Output], t: Ticket) -> Option<(u16, Value)> {
    outs.iter().find_map(|o| match o {
        Output::Response { ticket, response } if *ticket == t => {
            let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            Some((response.status, body))
        }
        _ => None,
    })
}

#[test]
fn a_simple_token_from_one_member_is_good_on_every_member() {
    let mut gw = world();
    let token = enable_auth_and_log_in(&mut gw);
    let (letters, index) = token.split_once('.').unwrap_or_default();
    assert_eq!(letters.len(), 16);
    assert!(index.parse::<u64>().is_ok());
    assert_eq!(put_as(&mut gw, 1, &token, "foo").0, 200);
    let auth = [("authorization", token.as_str())];
    let body = json!({"key": b64("foo")});
    let (status, v) = call_with(&mut gw, 2, "POST", "/v3/kv/range", &auth, body, 10_000);
    assert_eq!((status, v["count"].clone()), (200, json!("1")));
    // the same seed draws the same token
    assert_eq!(enable_auth_and_log_in(&mut world()), token);
}

/// etcd keeps simple tokens in memory and does not apply entries again on
/// restart: a restarted member knows no token issued before its crash.
#[test]
fn a_restarted_member_no_longer_knows_tokens_issued_before_its_crash() {
    let mut gw = world();
    let token = enable_auth_and_log_in(&mut gw);
    // (once member 1 has applied the authentication: an entry it applies
    // only after the restart gives it the token again)
    settle(&mut gw, 1_000);
    assert_eq!(put_as(&mut gw, 1, &token, "foo").0, 200);
    call(&mut gw, 0, "POST", "/_sim/crash", json!({"member": 1}), 0);
    call(&mut gw, 0, "POST", "/_sim/restart", json!({"member": 1}), 0);
    settle(&mut gw, 3_000);
    let (status, v) = put_as(&mut gw, 1, &token, "foo");
    assert_eq!(
        (status, v["error"].clone()),
        (401, json!("etcdserver: invalid auth token"))
    );
    assert_eq!(put_as(&mut gw, 0, &token, "foo").0, 200);
    // a token issued after the restart is known everywhere
    let fresh = log_in(&mut gw, 0);
    assert_eq!(put_as(&mut gw, 1, &fresh, "foo").0, 200);
}

#[test]
fn a_simple_token_unused_for_five_minutes_of_virtual_time_expires() {
    let mut gw = world();
    let token = enable_auth_and_log_in(&mut gw);
    settle(&mut gw, 4 * 60_000);
    // using it starts its five minutes again
    assert_eq!(put_as(&mut gw, 0, &token, "foo").0, 200);
    settle(&mut gw, 4 * 60_000);
    assert_eq!(put_as(&mut gw, 0, &token, "foo").0, 200);
    settle(&mut gw, 5 * 60_000 + 1);
    assert_eq!(put_as(&mut gw, 0, &token, "foo").0, 401);
}

/// etcd looks at a linearizable read's token once the member is up to date
/// (after its ReadIndex round): an auth change applied meanwhile does not
/// make the read's authorisation stale.
#[test]
fn a_linearizable_read_is_authorised_when_served_not_when_received() {
    let mut gw = world();
    let token = enable_auth_and_log_in(&mut gw);
    settle(&mut gw, 1_000);
    let slow = json!({"latency_ms": 400, "jitter_ms": 0});
    call(&mut gw, 0, "POST", "/_sim/link", slow, 0);
    let auth = [("Authorization", token.as_str())];
    let body = json!({"key": b64("foo")}).to_string();
    let read = gw.request(
        1,
        http_request("POST", "/v3/kv/range", &auth),
        body.as_bytes(),
    );
    let mut kept = Vec::new();
    let role = json!({"name": "r"});
    let added = exchange(
        &mut gw,
        0,
        "POST",
        "/v3/auth/role/add",
        &auth,
        role,
        10_000,
        &mut kept,
    );
    assert_eq!(added.0, 200);
    settle(&mut gw, 5_000);
    kept.extend(gw.drain());
    assert_eq!(response_to(&kept, read).map(|a| a.0), Some(200));
}

/// etcd's maintenance server lets only root take a snapshot (or hash, or
/// defragment) once auth is on, answering with the auth package's own
/// errors (code Unknown).
#[test]
fn a_snapshot_is_for_root_only_once_auth_is_enabled() {
    let mut gw = world();
    let root = enable_auth_and_log_in(&mut gw);
    add_user_u(&mut gw, &root);
    let u = log_in_as(&mut gw, 0, "u", "p");
    let mut kept = Vec::new();
    let snapshot = |gw: &mut World, kept: &mut Vec<Output>, token: &str| {
        let t = open_stream(
            gw,
            0,
            "/v3/maintenance/snapshot",
            &[("Authorization", token)],
            "{}",
        );
        gw.finish(t);
        run_for(gw, 0, kept);
        stream_answer(kept, t)
    };
    let denied = r#"{"error":{"grpc_code":2,"http_code":500,"message":"auth: permission denied","http_status":"Internal Server Error"}}"#;
    assert_eq!(
        snapshot(&mut gw, &mut kept, &u),
        StreamAnswer {
            status: Some(500),
            chunks: vec![denied.to_string()],
            ended: true,
        }
    );
    let a = snapshot(&mut gw, &mut kept, &root);
    assert_eq!((a.status, a.ended), (Some(200), true));
    assert!(a.chunks.len() >= 2, "{a:?}");
    // a token it does not know: the auth package's error, untranslated
    let garbage = [("Authorization", "garbage")];
    let path = "/v3/maintenance/defragment";
    let (status, v) = call_with(&mut gw, 0, "POST", path, &garbage, json!({}), 10_000);
    assert_eq!(
        (status, v),
        (500, grpc_error(2, "auth: invalid auth token"))
    );
    // leadership transfer is not among the root-only calls
    let leader = call(
        &mut gw,
        0,
        "POST",
        "/v3/maintenance/status",
        json!({}),
        10_000,
    )
    .1["leader"]
        .clone();
    let by_u = [("Authorization", u.as_str())];
    let path = "/v3/maintenance/transfer-leadership";
    let moved = call_with(
        &mut gw,
        0,
        "POST",
        path,
        &by_u,
        json!({"targetID": leader}),
        10_000,
    );
    assert_eq!(moved.0, 200, "{}", moved.1);
}

/// etcd's Authenticate starts over when the auth store changed between its
/// password check and the authentication being applied: a password changed
/// meanwhile refuses the old one.
#[test]
fn an_authentication_overtaken_by_a_password_change_is_checked_again() {
    let mut gw = world();
    let root = enable_auth_and_log_in(&mut gw);
    add_user_u(&mut gw, &root);
    let by_root = [("Authorization", root.as_str())];
    settle(&mut gw, 1_000);
    let slow = json!({"latency_ms": 400, "jitter_ms": 0});
    call(&mut gw, 0, "POST", "/_sim/link", slow, 0);
    // on a follower: a ReadIndex round, the password check, then the proposal
    let body = json!({"name": "u", "password": "p"}).to_string();
    let login = gw.request(
        1,
        http_request("POST", "/v3/auth/authenticate", &[]),
        body.as_bytes(),
    );
    let mut kept = Vec::new();
    run_for(&mut gw, 1_700, &mut kept);
    let change = json!({"name": "u", "password": "q"});
    let path = "/v3/auth/user/changepw";
    let changed = exchange(
        &mut gw, 0, "POST", path, &by_root, change, 10_000, &mut kept,
    );
    assert_eq!(changed.0, 200);
    run_for(&mut gw, 5_000, &mut kept);
    let failed = "etcdserver: authentication failed, invalid user ID or password";
    assert_eq!(
        response_to(&kept, login),
        Some((400, grpc_error(3, failed)))
    );
}
