//! etcd's v3lock and v3election services under contention, in controlled
//! virtual time: the servers run the `concurrency` recipes against their own
//! member, so a second locker or candidate waits for the deletes of the
//! keys older than its own, and gives its key back when its client leaves.

use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::{json, Value};

/// A one-member world and the outputs drained from it, by ticket.
struct Sim {
    gw: World,
    outputs: Vec<Output>,
}

impl Sim {
    fn new() -> Self {
        Sim::with_members(1)
    }

    fn with_members(members: usize) -> Self {
        Sim {
            gw: World::new(Config {
                members,
                ..Config::default()
            }),
            outputs: Vec::new(),
        }
    }

    /// Sends a POST and lets the world run until nothing more can happen.
    fn send(&mut self, path: &str, body: Value) -> Ticket {
        let request = HttpRequest {
            method: "POST".into(),
            path: path.into(),
            headers: Vec::new(),
        };
        let t = self.gw.request(0, request, body.to_string().as_bytes());
        self.run();
        t
    }

    fn run(&mut self) {
        self.gw.run_until_idle();
        self.outputs.extend(self.gw.drain());
    }

    /// The unary answer of `t`, if it came.
    fn answer(&self, t: Ticket) -> Option<(u16, Value)> {
        self.outputs.iter().find_map(|o| match o {
            Output::Response { ticket, response } if *ticket == t => Some((
                response.status,
                serde_json::from_slice(&response.body).unwrap_or(Value::Null),
            )),
            _ => None,
        })
    }

    /// A call that must be answered at once.
    fn call(&mut self, path: &str, body: Value) -> (u16, Value) {
        let t = self.send(path, body);
        self.answer(t).expect("answered at once")
    }

    /// The `result` of each stream message of `t` so far.
    fn messages(&self, t: Ticket) -> Vec<Value> {
        let data: Vec<u8> = self
            .outputs
            .iter()
            .filter_map(|o| match o {
                Output::StreamChunk { ticket, data } if *ticket == t => Some(data.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        data.split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice::<Value>(line).unwrap()["result"].clone())
            .collect()
    }

    fn grant(&mut self, id: i64) {
        let (status, _) = self.call("/v3/lease/grant", json!({"TTL": 600, "ID": id}));
        assert_eq!(status, 200);
    }

    /// The keys under `prefix`, decoded.
    fn keys(&mut self, prefix: &str) -> Vec<String> {
        let end = format!("{}0", prefix.trim_end_matches('/'));
        let (_, r) = self.call(
            "/v3/kv/range",
            json!({"key": b64(prefix), "range_end": b64(&end)}),
        );
        let kvs = r["kvs"].as_array().cloned().unwrap_or_default();
        kvs.iter().map(|kv| unb64(&kv["key"])).collect()
    }
}

fn b64(s: &str) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(s.as_bytes())
}

fn unb64(v: &Value) -> String {
    let bytes = etcd_sim::gateway::jsonpb::base64_decode(v.as_str().unwrap().as_bytes()).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn lock(sim: &mut Sim, lease: i64) -> Ticket {
    sim.send(
        "/v3/lock/lock",
        json!({"name": b64("mylock"), "lease": lease}),
    )
}

#[test]
fn a_second_locker_gets_the_lock_only_when_the_holder_unlocks() {
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    let first = lock(&mut sim, 1);
    let (status, held) = sim.answer(first).unwrap();
    assert_eq!((status, unb64(&held["key"])), (200, "mylock/1".into()));
    let second = lock(&mut sim, 2);
    assert_eq!(sim.answer(second), None, "waits while mylock/1 is held");
    assert_eq!(sim.keys("mylock/"), ["mylock/1", "mylock/2"]);

    let (status, _) = sim.call("/v3/lock/unlock", json!({"key": held["key"]}));
    assert_eq!(status, 200);
    let (status, got) = sim.answer(second).expect("the lock is free");
    assert_eq!((status, unb64(&got["key"])), (200, "mylock/2".into()));
    // puts at 2 and 3, the unlock at 4: the header is of the last look
    assert_eq!(got["header"]["revision"], "4");
}

#[test]
fn a_waiting_locker_gets_the_lock_in_the_same_clock_move_as_the_unlock() {
    // the v3lock service is the member's: it goes on as soon as its watch
    // sees the delete, not when the driver next looks at the world
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    let first = lock(&mut sim, 1);
    let held = sim.answer(first).unwrap().1;
    let second = lock(&mut sim, 2);
    assert_eq!(sim.answer(second), None);
    let unlock = HttpRequest {
        method: "POST".into(),
        path: "/v3/lock/unlock".into(),
        headers: Vec::new(),
    };
    let body = json!({"key": held["key"]}).to_string();
    let t = sim.gw.request(0, unlock, body.as_bytes());
    let now = sim.gw.now();
    sim.gw.advance_to(now);
    sim.outputs.extend(sim.gw.drain());
    assert_eq!(sim.answer(t).map(|a| a.0), Some(200));
    let (status, got) = sim.answer(second).expect("answered in the same move");
    assert_eq!((status, unb64(&got["key"])), (200, "mylock/2".into()));
    assert_eq!(sim.gw.now(), now, "and at the same virtual time");
}

#[test]
fn a_waiting_locker_gets_the_lock_when_the_holders_lease_is_revoked() {
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    lock(&mut sim, 1);
    let second = lock(&mut sim, 2);
    assert_eq!(sim.answer(second), None);
    let (status, _) = sim.call("/v3/lease/revoke", json!({"ID": 1}));
    assert_eq!(status, 200);
    let (status, got) = sim
        .answer(second)
        .expect("the holder's key went with its lease");
    assert_eq!((status, unb64(&got["key"])), (200, "mylock/2".into()));
}

#[test]
fn a_locker_whose_client_goes_away_gives_its_key_back() {
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    sim.grant(3);
    let first = lock(&mut sim, 1);
    let second = lock(&mut sim, 2);
    sim.gw.cancel(second);
    sim.run();
    assert_eq!(sim.keys("mylock/"), ["mylock/1"]);
    let held = sim.answer(first).unwrap().1;
    sim.call("/v3/lock/unlock", json!({"key": held["key"]}));
    let third = lock(&mut sim, 3);
    assert_eq!(sim.answer(third).map(|a| a.0), Some(200));
    assert_eq!(sim.answer(second), None, "no answer for a client gone");
}

/// The v3lock and v3election servers call their member through etcd's
/// internal client (v3client): `rpctypes.Error` turns the server's error
/// statuses into client-side errors, which their own gRPC server then
/// sends as Unknown (HTTP 500, code 2) with the same text, as it sends the
/// plain errors of the `concurrency` package and of v3election itself.
fn unknown(message: &str) -> (u16, Value) {
    (
        500,
        json!({"error": message, "code": 2, "message": message}),
    )
}

#[test]
fn a_lock_on_a_lease_that_does_not_exist_fails_as_the_put_does_through_the_client() {
    let mut sim = Sim::new();
    assert_eq!(
        sim.call("/v3/lock/lock", json!({"name": b64("l"), "lease": 7})),
        unknown("etcdserver: requested lease not found")
    );
    assert!(sim.keys("l/").is_empty());
}

#[test]
fn a_campaign_on_a_lease_that_does_not_exist_fails_as_its_txn_does_through_the_client() {
    let mut sim = Sim::new();
    let body = json!({"name": b64("el"), "lease": 7, "value": b64("v")});
    assert_eq!(
        sim.call("/v3/election/campaign", body),
        unknown("etcdserver: requested lease not found")
    );
}

#[test]
fn an_unlock_without_a_key_fails_as_the_delete_does_through_the_client() {
    let mut sim = Sim::new();
    assert_eq!(
        sim.call("/v3/lock/unlock", json!({})),
        unknown("etcdserver: key is not provided")
    );
}

#[test]
fn a_proclaim_or_resign_without_a_leader_is_refused_by_v3election_itself() {
    let mut sim = Sim::new();
    let missing = unknown(r#""leader" field must be provided"#);
    let proclaim = json!({"value": b64("v")});
    assert_eq!(sim.call("/v3/election/proclaim", proclaim), missing);
    assert_eq!(sim.call("/v3/election/resign", json!({})), missing);
}

/// An empty leader is a leader: v3election opens a session (lease 0: a new
/// lease) and resumes the election of the empty key, whose txn the server
/// refuses.
#[test]
fn a_proclaim_or_resign_with_an_empty_leader_fails_as_its_txn_does_through_the_client() {
    let mut sim = Sim::new();
    let empty_key = unknown("etcdserver: key is not provided");
    let proclaim = json!({"leader": {}, "value": b64("v")});
    assert_eq!(sim.call("/v3/election/proclaim", proclaim), empty_key);
    assert_eq!(
        sim.call("/v3/election/resign", json!({"leader": {}})),
        empty_key
    );
}

#[test]
fn leader_without_a_candidate_is_the_concurrency_packages_no_leader() {
    let mut sim = Sim::new();
    assert_eq!(
        sim.call("/v3/election/leader", json!({"name": b64("el")})),
        unknown("election: no leader")
    );
}

/// A server error that is Unavailable on a KV call is Unknown through the
/// lock service: a lock at a member cut off from its leader times out.
#[test]
fn a_lock_that_times_out_answers_the_timeout_through_the_client() {
    let mut sim = Sim::with_members(3);
    sim.grant(1);
    let cut = json!({"groups": [[0, 1], [2]]});
    assert_eq!(sim.call("/_sim/partition", cut).0, 200);
    let request = HttpRequest {
        method: "POST".into(),
        path: "/v3/lock/lock".into(),
        headers: Vec::new(),
    };
    let body = json!({"name": b64("l"), "lease": 1}).to_string();
    let t = sim.gw.request(2, request, body.as_bytes());
    let end = sim.gw.now() + 10_000;
    sim.gw.advance_to(end);
    sim.outputs.extend(sim.gw.drain());
    let (status, e) = sim.answer(t).expect("answered after the request timeout");
    assert_eq!((status, &e["code"]), (500, &json!(2)), "{e}");
    let message = e["message"].as_str().unwrap_or("");
    assert!(message.starts_with("etcdserver: request timed out"), "{e}");
    assert_eq!(e["error"], e["message"]);
}

#[test]
fn the_second_candidate_leads_once_the_first_resigns_and_observe_sees_both() {
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    let observe = sim.send("/v3/election/observe", json!({"name": b64("el")}));
    let campaign = |sim: &mut Sim, lease: i64, value: &str| {
        let body = json!({"name": b64("el"), "lease": lease, "value": b64(value)});
        sim.send("/v3/election/campaign", body)
    };
    let first = campaign(&mut sim, 1, "a");
    let (status, won) = sim.answer(first).unwrap();
    assert_eq!(status, 200);
    let leader = won["leader"].clone();
    assert_eq!(unb64(&leader["key"]), "el/1");
    let second = campaign(&mut sim, 2, "b");
    assert_eq!(sim.answer(second), None, "waits while el/1 leads");

    let (status, _) = sim.call("/v3/election/resign", json!({ "leader": leader }));
    assert_eq!(status, 200);
    let (status, won) = sim.answer(second).expect("el/1 resigned");
    assert_eq!(status, 200);
    assert_eq!(unb64(&won["leader"]["key"]), "el/2");
    assert_eq!(won["leader"]["rev"], "3");

    let (_, now) = sim.call("/v3/election/leader", json!({"name": b64("el")}));
    assert_eq!(unb64(&now["kv"]["value"]), "b");
    let seen: Vec<String> = sim
        .messages(observe)
        .iter()
        .map(|m| unb64(&m["kv"]["value"]))
        .collect();
    assert_eq!(seen, ["a", "b"]);
}

#[test]
fn a_proclaim_by_a_candidate_that_no_longer_leads_fails() {
    let mut sim = Sim::new();
    sim.grant(1);
    let body = json!({"name": b64("el"), "lease": 1, "value": b64("a")});
    let (_, won) = sim.call("/v3/election/campaign", body);
    let leader = won["leader"].clone();
    let proclaim = json!({"leader": leader, "value": b64("a2")});
    assert_eq!(sim.call("/v3/election/proclaim", proclaim.clone()).0, 200);
    sim.call("/v3/election/resign", json!({ "leader": leader }));
    let (status, e) = sim.call("/v3/election/proclaim", proclaim);
    assert_eq!(status, 500);
    assert_eq!(
        e,
        json!({"error": "election: not leader", "code": 2, "message": "election: not leader"})
    );
}

#[test]
fn observe_without_a_leader_waits_for_the_first_candidate() {
    let mut sim = Sim::new();
    sim.grant(1);
    let observe = sim.send("/v3/election/observe", json!({"name": b64("el")}));
    assert!(sim.messages(observe).is_empty());
    let body = json!({"name": b64("el"), "lease": 1, "value": b64("a")});
    sim.call("/v3/election/campaign", body);
    let seen = sim.messages(observe);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["header"]["revision"], "2");
    sim.gw.cancel(observe);
    sim.run();
}

#[test]
fn a_waiting_locker_saved_and_loaded_is_a_client_gone() {
    let mut sim = Sim::new();
    sim.grant(1);
    sim.grant(2);
    lock(&mut sim, 1);
    let second = lock(&mut sim, 2);
    let saved = sim.gw.save();
    let mut loaded = Sim::new();
    loaded.gw.load(saved.as_bytes()).unwrap();
    loaded.run();
    assert_eq!(loaded.keys("mylock/"), ["mylock/1"]);
    assert_eq!(loaded.answer(second), None);
}

#[test]
fn a_lock_without_a_lease_runs_on_a_new_60s_session_lease() {
    let mut sim = Sim::new();
    let (status, got) = sim.call("/v3/lock/lock", json!({"name": b64("l")}));
    assert_eq!(status, 200);
    let (_, leases) = sim.call("/v3/lease/leases", json!({}));
    let id: i64 = leases["leases"][0]["ID"].as_str().unwrap().parse().unwrap();
    assert_eq!(unb64(&got["key"]), format!("l/{id:x}"));
    let (_, ttl) = sim.call("/v3/lease/timetolive", json!({ "ID": id }));
    assert_eq!(ttl["grantedTTL"], "60");
}

#[test]
fn a_lock_larger_than_grpcs_receive_limit_is_refused_before_it_runs() {
    let mut sim = Sim::new();
    let name = "n".repeat(2_200_000);
    let (status, e) = sim.call("/v3/lock/lock", json!({"name": b64(&name), "lease": 1}));
    assert_eq!(status, 429);
    let msg = e["error"].as_str().unwrap();
    assert_eq!(
        msg,
        "grpc: received message larger than max (2200007 vs. 2097152)"
    );
}

/// `Mutex.Lock` deletes its key when the get that confirms it still holds
/// it fails (`m.Unlock(client.Ctx())`), as when the wait itself fails: here
/// the waiter's member is cut off from the leader just as the holder
/// unlocks, so its linearizable get times out; once the network heals the
/// delete goes through and the key is gone.
#[test]
fn a_waiter_whose_confirming_get_fails_gives_its_key_back() {
    let mut sim = Sim::with_members(3);
    // links of a few ms: the confirming get is on its way for a while
    sim.call("/_sim/link", json!({"latency_ms": 2, "jitter_ms": 1}));
    sim.grant(1);
    sim.grant(2);
    let (_, held) = sim.call("/v3/lock/lock", json!({"name": b64("l"), "lease": 1}));
    let request = HttpRequest {
        method: "POST".into(),
        path: "/v3/lock/lock".into(),
        headers: Vec::new(),
    };
    let body = json!({"name": b64("l"), "lease": 2}).to_string();
    let waiter = sim.gw.request(2, request, body.as_bytes());
    sim.run();
    assert_eq!(sim.answer(waiter), None);
    let unlock = json!({"key": held["key"]});
    sim.gw.request(
        0,
        HttpRequest {
            method: "POST".into(),
            path: "/v3/lock/unlock".into(),
            headers: Vec::new(),
        },
        unlock.to_string().as_bytes(),
    );
    // the waiter's member applies the delete and looks again: no older
    // key is left; its confirming get goes out: cut the member off then
    let sim_call = |sim: &mut Sim, method: &str, path: &str, body: &str| {
        let request = HttpRequest {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
        };
        let t = sim.gw.request(0, request, body.as_bytes());
        sim.outputs.extend(sim.gw.drain());
        sim.answer(t).expect("answered at once").1
    };
    let since = sim_call(&mut sim, "GET", "/_sim/trace", "")["next"].clone();
    let gets = |sim: &mut Sim| {
        let trace = sim_call(sim, "GET", &format!("/_sim/trace?since={since}"), "");
        let events = trace["events"].as_array().cloned().unwrap_or_default();
        let get_at_2 =
            |e: &&Value| e["kind"] == "request" && e["member"] == 2 && e["request"] == "range";
        events.iter().filter(get_at_2).count()
    };
    while gets(&mut sim) < 2 {
        let next = sim.gw.now() + 1;
        sim.gw.advance_to(next);
        sim.outputs.extend(sim.gw.drain());
        assert_eq!(
            sim.answer(waiter),
            None,
            "answered before its get was cut off"
        );
    }
    sim_call(
        &mut sim,
        "POST",
        "/_sim/partition",
        r#"{"groups":[[0,1],[2]]}"#,
    );
    let later = sim.gw.now() + 8_000;
    sim.gw.advance_to(later);
    sim_call(&mut sim, "POST", "/_sim/heal", "");
    let later = sim.gw.now() + 3_000;
    sim.gw.advance_to(later);
    sim.outputs.extend(sim.gw.drain());
    let (status, e) = sim.answer(waiter).expect("the waiter is answered");
    assert_eq!((status, &e["code"]), (500, &json!(2)), "{e}");
    assert!(
        sim.keys("l/").is_empty(),
        "the waiter's key is gone: {:?} {e}",
        sim.keys("l/")
    );
}
