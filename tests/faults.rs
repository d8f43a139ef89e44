//! Breaking a three-member cluster through `/_sim/` and watching it behave as
//! etcd does: elections after a leader crash, stale serializable reads on a
//! partitioned follower, timeouts without a quorum, catching up after a
//! restart, `/health`.

use etcd_sim::gateway::{Config, Gateway, HttpRequest, Output};
use serde_json::{json, Value};

fn world() -> Gateway {
    Gateway::new(Config {
        members: 3,
        ..Config::default()
    })
}

/// A request to `member`, answered within `wait_ms` of virtual time.
fn call(
    gw: &mut Gateway,
    member: usize,
    method: &str,
    path: &str,
    body: Value,
    wait_ms: u64,
) -> (u16, Value) {
    let req = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![],
    };
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let t = gw.request(member, req, body.as_bytes());
    let limit = gw.now() + wait_ms;
    gw.run_until_idle_or(limit);
    for o in gw.drain() {
        match o {
            Output::Response { ticket, response } if ticket == t => {
                let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                return (response.status, v);
            }
            Output::Refused { ticket } if ticket == t => return (0, Value::Null),
            _ => {}
        }
    }
    (0, json!("no answer"))
}

fn b64(s: &str) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(s.as_bytes())
}

fn put(gw: &mut Gateway, member: usize, k: &str, v: &str) -> (u16, Value) {
    call(
        gw,
        member,
        "POST",
        "/v3/kv/put",
        json!({"key": b64(k), "value": b64(v)}),
        10_000,
    )
}

fn get(gw: &mut Gateway, member: usize, k: &str, serializable: bool) -> (u16, Value) {
    let body = json!({"key": b64(k), "serializable": serializable});
    call(gw, member, "POST", "/v3/kv/range", body, 10_000)
}

fn state(gw: &mut Gateway) -> Value {
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
    let mut gw = Gateway::new(Config {
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
    let restored = trace["events"].as_array().into_iter().flatten().any(|e| {
        e["kind"] == "raft"
            && e["detail"]["member"] == 3
            && e["detail"]["what"]
                .as_str()
                .is_some_and(|w| w.starts_with("SnapshotRestored"))
    });
    assert!(restored, "the new member restored a snapshot");
    assert_eq!(get(&mut gw, 3, "k29", true).1["kvs"][0]["value"], b64("v"));
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
