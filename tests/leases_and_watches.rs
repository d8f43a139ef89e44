//! Leases and watches through the whole core (gateway, cluster, member) in
//! controlled virtual time: the clock moves only when the test says so.

use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::{json, Value};

/// A gateway plus the outputs drained from it and not consumed yet, so a
/// unary call does not swallow stream chunks that arrive meanwhile.
struct Sim {
    gw: World,
    kept: Vec<Output>,
}

impl Sim {
    fn with(config: Config) -> Self {
        Sim {
            gw: World::new(config),
            kept: Vec::new(),
        }
    }

    fn run(&mut self) {
        self.gw.run_until_idle();
        self.kept.extend(self.gw.drain());
    }

    fn advance_to(&mut self, ms: u64) {
        self.gw.advance_to(ms);
        self.kept.extend(self.gw.drain());
    }

    fn take_response(&mut self, t: Ticket) -> Option<Vec<u8>> {
        self.run();
        let i = self
            .kept
            .iter()
            .position(|o| matches!(o, Output::Response { ticket, .. } if *ticket == t))?;
        match self.kept.remove(i) {
            Output::Response { response, .. } => Some(response.body),
            _ => None,
        }
    }
}

fn gateway() -> Sim {
    Sim::with(Config {
        members: 1,
        ..Config::default()
    })
}

fn req(path: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: path.into(),
        headers: vec![],
    }
}

/// A unary call answered at the current virtual time.
fn call(gw: &mut Sim, path: &str, body: Value) -> Value {
    let t = gw.gw.request(0, req(path), body.to_string().as_bytes());
    let body = gw
        .take_response(t)
        .unwrap_or_else(|| panic!("no answer to {path}"));
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

fn get(gw: &mut Sim, path: &str) -> Value {
    let r = HttpRequest {
        method: "GET".into(),
        path: path.into(),
        headers: vec![],
    };
    let t = gw.gw.request(0, r, b"");
    let body = gw
        .take_response(t)
        .unwrap_or_else(|| panic!("no answer to {path}"));
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

fn b64(s: &str) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(s.as_bytes())
}

fn count(gw: &mut Sim, key: &str) -> i64 {
    let r = call(
        gw,
        "/v3/kv/range",
        json!({"key": b64(key), "count_only": true}),
    );
    r["count"].as_str().map_or(0, |c| c.parse().unwrap_or(-1))
}

fn revision(gw: &mut Sim) -> i64 {
    let r = call(gw, "/v3/kv/range", json!({"key": b64("x")}));
    r["header"]["revision"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1)
}

/// Opens a watch stream with `body`; returns its ticket.
fn watch(gw: &mut Sim, body: Value) -> Ticket {
    let t = gw.gw.submit(0, req("/v3/watch"));
    gw.gw.body(t, body.to_string().as_bytes());
    gw.run();
    t
}

/// The stream messages of `ticket` in the outputs so far.
fn messages(gw: &mut Sim, ticket: Ticket) -> Vec<Value> {
    gw.run();
    let mut text = Vec::new();
    gw.kept.retain(|o| match o {
        Output::StreamChunk { ticket: t, data } if *t == ticket => {
            text.extend_from_slice(data);
            false
        }
        _ => true,
    });
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .map(|v| v["result"].clone())
                .unwrap_or(Value::Null)
        })
        .collect()
}

#[test]
fn a_lease_expires_exactly_at_its_ttl_not_before() {
    let mut gw = gateway();
    // a one-member cluster applies at once: the lease starts now
    let t0 = gw.gw.now();
    call(&mut gw, "/v3/lease/grant", json!({"ID": 7, "TTL": 5}));
    assert_eq!(gw.gw.now(), t0);
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("v"), "lease": 7}),
    );
    let rev = revision(&mut gw);
    gw.advance_to(t0 + 4_999);
    assert_eq!(count(&mut gw, "k"), 1, "alive 1 ms before its TTL");
    gw.advance_to(t0 + 5_000);
    assert_eq!(count(&mut gw, "k"), 0, "gone at its TTL");
    assert_eq!(revision(&mut gw), rev + 1, "the expiry is one revision");
    let ttl = call(&mut gw, "/v3/lease/timetolive", json!({"ID": 7}));
    assert_eq!(ttl["TTL"], "-1");
}

/// etcd's LeaseTimeToLive answers `int64(le.Remaining().Seconds())`: the
/// time left, measured after the request took its moment, truncated to
/// whole seconds. So a lease granted just now has 59 of its 60 s, and one
/// renewed just now too; a keep-alive itself answers the granted TTL
/// (lessor `Renew` returns `l.ttl`).
#[test]
fn time_to_live_truncates_the_time_left_so_a_fresh_60s_lease_has_59() {
    let mut gw = gateway();
    let t0 = gw.gw.now();
    call(&mut gw, "/v3/lease/grant", json!({"ID": 7, "TTL": 60}));
    let ttl = |gw: &mut Sim| {
        let r = call(gw, "/v3/lease/timetolive", json!({"ID": 7}));
        assert_eq!(r["grantedTTL"], "60");
        r["TTL"].clone()
    };
    assert_eq!(gw.gw.now(), t0);
    assert_eq!(ttl(&mut gw), "59");
    gw.advance_to(t0 + 999);
    assert_eq!(ttl(&mut gw), "59");
    gw.advance_to(t0 + 1_000);
    assert_eq!(ttl(&mut gw), "58");
    gw.advance_to(t0 + 59_999);
    assert_eq!(ttl(&mut gw), Value::Null, "0 s left (a zero is omitted)");

    let t = gw.gw.submit(0, req("/v3/lease/keepalive"));
    gw.gw.body(t, br#"{"ID":7}"#);
    gw.gw.finish(t);
    assert_eq!(messages(&mut gw, t)[0]["TTL"], "60");
    assert_eq!(ttl(&mut gw), "59");
    let leases = call(&mut gw, "/v3/lease/leases", json!({}));
    assert_eq!(leases["leases"], json!([{"ID": "7"}]));
}

#[test]
fn keep_alive_gives_a_full_ttl_from_the_renewal() {
    let mut gw = gateway();
    let t0 = gw.gw.now();
    call(&mut gw, "/v3/lease/grant", json!({"ID": 1, "TTL": 5}));
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("v"), "lease": 1}),
    );
    gw.advance_to(t0 + 3_000);
    let t = gw.gw.submit(0, req("/v3/lease/keepalive"));
    gw.gw.body(t, br#"{"ID":1}"#);
    gw.gw.finish(t);
    let answers = messages(&mut gw, t);
    assert_eq!(
        answers,
        vec![json!({"header": answers[0]["header"], "ID": "1", "TTL": "5"})]
    );
    gw.advance_to(t0 + 7_999);
    assert_eq!(count(&mut gw, "k"), 1);
    gw.advance_to(t0 + 8_000);
    assert_eq!(count(&mut gw, "k"), 0);
}

#[test]
fn revoke_deletes_every_attached_key_in_one_revision() {
    let mut gw = gateway();
    call(&mut gw, "/v3/lease/grant", json!({"ID": 3, "TTL": 60}));
    for k in ["a", "b", "c"] {
        call(
            &mut gw,
            "/v3/kv/put",
            json!({"key": b64(k), "value": b64("v"), "lease": 3}),
        );
    }
    let w = watch(
        &mut gw,
        json!({"create_request": {"key": b64("a"), "range_end": b64("d")}}),
    );
    assert_eq!(messages(&mut gw, w).len(), 1, "created");
    let rev = revision(&mut gw);
    call(&mut gw, "/v3/lease/revoke", json!({"ID": 3}));
    assert_eq!(revision(&mut gw), rev + 1);
    let msgs = messages(&mut gw, w);
    assert_eq!(msgs.len(), 1, "one message for the revision");
    let events = msgs[0]["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["type"] == "DELETE"));
}

#[test]
fn watch_replay_from_every_past_revision_equals_what_happened() {
    let mut gw = gateway();
    let live = watch(
        &mut gw,
        json!({"create_request": {"key": b64("a"), "range_end": b64("z")}}),
    );
    messages(&mut gw, live);
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("a"), "value": b64("1")}),
    );
    call(
        &mut gw,
        "/v3/kv/txn",
        json!({"success": [
        {"request_put": {"key": b64("b"), "value": b64("2")}},
        {"request_put": {"key": b64("c"), "value": b64("3")}}]}),
    );
    call(&mut gw, "/v3/kv/deleterange", json!({"key": b64("a")}));
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("b"), "value": b64("4")}),
    );
    let seen: Vec<Value> = messages(&mut gw, live)
        .iter()
        .flat_map(|m| m["events"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(seen.len(), 5);
    let current = revision(&mut gw);
    for start in 1..=current {
        let w = watch(
            &mut gw,
            json!({"create_request": {"key": b64("a"), "range_end": b64("z"), "start_revision": start}}),
        );
        let msgs = messages(&mut gw, w);
        let replayed: Vec<Value> = msgs[1..]
            .iter()
            .flat_map(|m| m["events"].as_array().cloned().unwrap_or_default())
            .collect();
        let want: Vec<Value> = seen
            .iter()
            .filter(|e| {
                e["kv"]["mod_revision"]
                    .as_str()
                    .and_then(|s| s.parse::<i64>().ok())
                    .is_some_and(|r| r >= start)
            })
            .cloned()
            .collect();
        assert_eq!(replayed, want, "replay from {start}");
        gw.gw.cancel(w);
    }
}

#[test]
fn a_canceled_watch_gets_nothing_more() {
    let mut gw = gateway();
    let w = watch(&mut gw, json!({"create_request": {"key": b64("k")}}));
    messages(&mut gw, w);
    gw.gw.body(
        w,
        json!({"cancel_request": {"watch_id": 0}})
            .to_string()
            .as_bytes(),
    );
    let m = messages(&mut gw, w);
    assert_eq!(m[0]["canceled"], true);
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("v")}),
    );
    assert!(messages(&mut gw, w).is_empty());
}

#[test]
fn compaction_during_a_watch_leaves_it_running() {
    let mut gw = gateway();
    let w = watch(&mut gw, json!({"create_request": {"key": b64("k")}}));
    messages(&mut gw, w);
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("1")}),
    );
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("2")}),
    );
    call(&mut gw, "/v3/kv/compaction", json!({"revision": 3}));
    call(
        &mut gw,
        "/v3/kv/put",
        json!({"key": b64("k"), "value": b64("3")}),
    );
    let values: Vec<Value> = messages(&mut gw, w)
        .iter()
        .map(|m| m["events"][0]["kv"]["value"].clone())
        .collect();
    assert_eq!(
        values,
        vec![json!(b64("1")), json!(b64("2")), json!(b64("3"))]
    );
    let late = watch(
        &mut gw,
        json!({"create_request": {"key": b64("k"), "start_revision": 2}}),
    );
    let m = messages(&mut gw, late);
    assert_eq!(m[1]["compact_revision"], "3");
    assert_eq!(m[1]["canceled"], true);
}

#[test]
fn an_abandoned_stream_frees_its_watchers() {
    let mut gw = gateway();
    let w = watch(&mut gw, json!({"create_request": {"key": b64("k")}}));
    gw.gw.body(
        w,
        json!({"create_request": {"key": b64("j")}})
            .to_string()
            .as_bytes(),
    );
    messages(&mut gw, w);
    assert_eq!(get(&mut gw, "/_sim/state")["members"][0]["watchers"], 2);
    assert_eq!(
        get(&mut gw, "/_sim/watches")["watches"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    gw.gw.cancel(w);
    gw.run();
    assert_eq!(get(&mut gw, "/_sim/state")["members"][0]["watchers"], 0);
}

#[test]
fn progress_notifications_follow_the_configured_interval() {
    let mut gw = Sim::with(Config {
        members: 1,
        watch_progress_notify_interval_ms: 1_000,
        ..Config::default()
    });
    // the stream's progress ticker starts when it opens
    let t0 = gw.gw.now();
    let w = watch(
        &mut gw,
        json!({"create_request": {"key": b64("k"), "progress_notify": true}}),
    );
    messages(&mut gw, w);
    gw.advance_to(t0 + 999);
    assert!(messages(&mut gw, w).is_empty());
    gw.advance_to(t0 + 1_000);
    let m = messages(&mut gw, w);
    assert_eq!(m.len(), 1);
    assert!(m[0].get("events").is_none());
    gw.advance_to(t0 + 3_000);
    assert_eq!(messages(&mut gw, w).len(), 2);
}
