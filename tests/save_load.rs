//! Saving and loading the whole world (`/_sim/save`, `/_sim/load`):
//! load(save(x)) behaves exactly as x. A seeded random script (requests to
//! every member, bodies arriving in pieces, watch streams, faults, clock
//! moves of every kind, resets) runs on a reference world; at checkpoints a
//! second world is loaded from the first's save (and later from its own
//! save, so saves of loaded worlds are tested too), and from then on both
//! must give the same outputs byte for byte and the same trace.

use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::{json, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// A whole unary request.
    Call(usize, &'static str, String, String),
    /// A unary request whose body stops half way (finished by `Rest`).
    Partial(usize, String, String),
    Rest(usize),
    /// A watch stream with its first create request.
    Watch(usize, String),
    Unwatch(usize),
    /// A lock on one name (etcd's v3lock: the caller waits its turn).
    Lock(usize),
    Unlock(usize),
    AdvanceBy(u64),
    IdleOr(u64),
    Idle,
}

fn b64(s: &str) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(s.as_bytes())
}

fn script(seed: u64, len: usize) -> Vec<Step> {
    let mut r = Rng(seed);
    let mut steps = Vec::new();
    for _ in 0..len {
        let m = r.below(3) as usize;
        let key = b64(&format!("k{}", r.below(5)));
        let step = match r.below(100) {
            0..=19 => {
                let v = b64(&format!("v{}", r.below(1000)));
                let lease = if r.below(4) == 0 { r.below(3) } else { 0 };
                Step::Call(
                    m,
                    "/v3/kv/put",
                    json!({"key": key, "value": v, "lease": lease.to_string()}).to_string(),
                    String::new(),
                )
            }
            20..=29 => {
                let body =
                    json!({"key": key, "range_end": b64("l"), "serializable": r.below(2) == 0});
                Step::Call(m, "/v3/kv/range", body.to_string(), String::new())
            }
            30..=33 => Step::Call(
                m,
                "/v3/kv/deleterange",
                json!({"key": key}).to_string(),
                String::new(),
            ),
            34..=37 => {
                let body = json!({
                    "compare": [{"key": key, "target": "VERSION", "result": "EQUAL", "version": r.below(3).to_string()}],
                    "success": [{"request_put": {"key": key, "value": b64("t")}}],
                    "failure": [{"request_range": {"key": key}}],
                });
                Step::Call(m, "/v3/kv/txn", body.to_string(), String::new())
            }
            38..=39 => Step::Call(
                m,
                "/v3/lease/grant",
                json!({"TTL": 1 + r.below(4)}).to_string(),
                String::new(),
            ),
            40 => Step::Call(
                m,
                "/v3/kv/compaction",
                json!({"revision": r.below(20).to_string()}).to_string(),
                String::new(),
            ),
            41..=42 => Step::Call(m, "/v3/maintenance/status", "{}".into(), String::new()),
            43..=47 => {
                let body = json!({"key": key, "value": b64("partial")}).to_string();
                let cut = r.below(body.len() as u64) as usize;
                Step::Partial(m, body[..cut].to_string(), body[cut..].to_string())
            }
            48..=51 => Step::Rest(r.below(4) as usize),
            52..=55 => {
                let create = json!({"create_request": {
                    "key": key,
                    "range_end": if r.below(2) == 0 { b64("l") } else { String::new() },
                    "start_revision": r.below(6).to_string(),
                    "progress_notify": r.below(2) == 0,
                    "prev_kv": r.below(2) == 0,
                }});
                Step::Watch(m, create.to_string())
            }
            56..=57 => Step::Unwatch(r.below(4) as usize),
            98 => Step::Lock(m),
            99 => Step::Unlock(r.below(3) as usize),
            58..=66 => {
                let (path, body) = match r.below(9) {
                    0 => ("crash", json!({"member": m})),
                    1 | 2 => ("restart", json!({"member": m})),
                    3 => (
                        "partition",
                        json!({"groups": [[m], [(m + 1) % 3, (m + 2) % 3]]}),
                    ),
                    4 => ("heal", json!({})),
                    5 => ("block", json!({"from": m, "to": (m + 1) % 3})),
                    6 => (
                        "link",
                        json!({"latency_ms": r.below(40), "jitter_ms": r.below(5), "loss": 0.05}),
                    ),
                    7 => ("transfer", json!({"member": m})),
                    _ if r.below(3) == 0 => ("reset", json!({"seed": r.below(5)})),
                    _ => ("heal", json!({})),
                };
                Step::Call(m, "/_sim/", path.to_string(), body.to_string())
            }
            67..=79 => Step::IdleOr(r.below(400)),
            80..=96 => Step::AdvanceBy(r.below(1500)),
            _ => Step::Idle,
        };
        steps.push(step);
    }
    steps
}

/// A world and the client side of it: its open watches and unfinished
/// requests, and every output it gave.
struct Client {
    gw: World,
    watches: Vec<Ticket>,
    partial: Vec<(Ticket, String)>,
    /// Lock and unlock calls not answered yet, and the keys of locks held.
    locking: Vec<Ticket>,
    held: Vec<String>,
    log: Vec<String>,
}

fn req(method: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}

impl Client {
    fn new(gw: World) -> Self {
        Client {
            gw,
            watches: Vec::new(),
            partial: Vec::new(),
            locking: Vec::new(),
            held: Vec::new(),
            log: Vec::new(),
        }
    }

    fn run(&mut self, step: &Step) {
        let gw = &mut self.gw;
        match step {
            Step::Call(m, path, a, b) => {
                if *path == "/_sim/" {
                    gw.request(*m, req("POST", &format!("/_sim/{a}")), b.as_bytes());
                } else {
                    gw.request(*m, req("POST", path), a.as_bytes());
                }
            }
            Step::Partial(m, head, rest) => {
                let t = gw.submit(*m, req("POST", "/v3/kv/put"));
                gw.body(t, head.as_bytes());
                self.partial.push((t, rest.clone()));
            }
            Step::Rest(i) => {
                if !self.partial.is_empty() {
                    let (t, rest) = self.partial.remove(i % self.partial.len());
                    gw.body(t, rest.as_bytes());
                    gw.finish(t);
                }
            }
            Step::Watch(m, create) => {
                let t = gw.submit(*m, req("POST", "/v3/watch"));
                gw.body(t, create.as_bytes());
                self.watches.push(t);
            }
            Step::Unwatch(i) => {
                if !self.watches.is_empty() {
                    let t = self.watches.remove(i % self.watches.len());
                    gw.cancel(t);
                }
            }
            Step::Lock(m) => {
                let body = json!({"name": b64("l")}).to_string();
                let t = gw.request(*m, req("POST", "/v3/lock/lock"), body.as_bytes());
                self.locking.push(t);
            }
            Step::Unlock(i) => {
                if !self.held.is_empty() {
                    let key = self.held.remove(i % self.held.len());
                    let body = json!({ "key": key }).to_string();
                    let t = gw.request(0, req("POST", "/v3/lock/unlock"), body.as_bytes());
                    self.locking.push(t);
                }
            }
            Step::AdvanceBy(ms) => {
                let to = gw.now() + ms;
                gw.advance_to(to);
            }
            Step::IdleOr(ms) => {
                let to = gw.now() + ms;
                gw.run_until_idle_or(to);
            }
            Step::Idle => gw.run_until_idle(),
        }
        self.collect();
    }

    fn collect(&mut self) {
        for o in self.gw.drain() {
            let t = o.ticket();
            if matches!(
                o,
                Output::Response { .. } | Output::StreamEnd { .. } | Output::Refused { .. }
            ) {
                self.watches.retain(|w| *w != t);
                self.partial.retain(|(p, _)| *p != t);
                if let (Some(at), Output::Response { response, .. }) =
                    (self.locking.iter().position(|l| *l == t), &o)
                {
                    self.locking.remove(at);
                    let v: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                    if let Some(key) = v["key"].as_str() {
                        self.held.push(key.to_string());
                    }
                }
            }
            self.log.push(match o {
                Output::Response { ticket, response } => format!(
                    "{ticket} {} {:?} {}",
                    response.status,
                    response.headers,
                    String::from_utf8_lossy(&response.body)
                ),
                other => format!("{other:?}"),
            });
        }
    }

    /// What a load does to the clients of the saved world: they are gone.
    fn drop_clients(&mut self) {
        let mut gone: Vec<Ticket> = self.partial.drain(..).map(|(t, _)| t).collect();
        gone.sort_unstable();
        let mut watches = std::mem::take(&mut self.watches);
        watches.sort_unstable();
        let mut locking = std::mem::take(&mut self.locking);
        locking.sort_unstable();
        for t in gone.into_iter().chain(watches).chain(locking) {
            self.gw.cancel(t);
        }
        self.collect();
    }

    /// Everything inspection shows.
    fn inspect(&mut self) -> Vec<String> {
        ["state", "trace?since=0", "leases", "watches"]
            .iter()
            .map(|p| {
                let t = self.gw.request(0, req("GET", &format!("/_sim/{p}")), b"");
                let out = self.gw.drain();
                match out.iter().find(|o| o.ticket() == t) {
                    Some(Output::Response { response, .. }) => {
                        String::from_utf8_lossy(&response.body).into_owned()
                    }
                    other => panic!("{p}: {other:?}"),
                }
            })
            .collect()
    }
}

fn config(seed: u64) -> Config {
    Config {
        members: 3,
        seed,
        watch_progress_notify_interval_ms: 2_000,
        snapshot_count: 25,
        ..Config::default()
    }
}

/// Loads `from`'s saved world into a fresh gateway (of another config, so
/// nothing carries over but the save).
fn reload(from: &World) -> World {
    let saved = from.save();
    let mut gw = World::new(Config::default());
    gw.load(saved.as_bytes()).expect("a saved world loads");
    assert!(
        gw.drain().is_empty(),
        "a fresh gateway had no clients to cut"
    );
    gw
}

fn check_seed(seed: u64, len: usize, checkpoints: &[usize]) {
    check_script(seed, script(seed, len), checkpoints);
}

fn check_script(seed: u64, steps: Vec<Step>, checkpoints: &[usize]) {
    check_script_checkpointed(seed, steps, checkpoints, &[]);
}

/// As `check_script`; besides, at each step of `world_checkpoints` both
/// worlds take a checkpoint of their state (before a load at that step),
/// so that saves hold a checkpoint and the inputs since it.
fn check_script_checkpointed(
    seed: u64,
    steps: Vec<Step>,
    checkpoints: &[usize],
    world_checkpoints: &[usize],
) {
    let mut reference = Client::new(World::new(config(seed)));
    let mut copy: Option<Client> = None;
    let mut compared = 0;
    for (i, step) in steps.iter().enumerate() {
        if world_checkpoints.contains(&i) {
            reference.gw.checkpoint();
            if let Some(c) = &mut copy {
                c.gw.checkpoint();
            }
        }
        if checkpoints.contains(&i) {
            let from = copy.as_ref().map_or(&reference.gw, |c| &c.gw);
            let loaded = Client::new(reload(from));
            reference.drop_clients();
            if let Some(c) = &mut copy {
                c.drop_clients();
                if c.log != reference.log {
                    let at = c.log.iter().zip(&reference.log).position(|(a, b)| a != b);
                    let at = at.unwrap_or(c.log.len().min(reference.log.len()));
                    panic!(
                        "seed {seed}: the copy diverged before step {i} at output {at}:\n copy: {:?}\n ref:  {:?}",
                        c.log.get(at).map(|s| s.chars().take(300).collect::<String>()),
                        reference.log.get(at).map(|s| s.chars().take(300).collect::<String>())
                    );
                }
            }
            compared += reference.log.len();
            reference.log.clear();
            // the locks held are the world's: the clients still hold them
            let mut loaded = loaded;
            loaded.held = reference.held.clone();
            copy = Some(loaded);
        }
        reference.run(step);
        if let Some(c) = &mut copy {
            c.run(step);
        }
    }
    let mut copy = copy.expect("a checkpoint was reached");
    assert_eq!(copy.log, reference.log, "seed {seed}: outputs differ");
    assert_eq!(
        copy.inspect(),
        reference.inspect(),
        "seed {seed}: state differs"
    );
    compared += reference.log.len();
    assert!(
        compared > 20,
        "seed {seed}: only {compared} outputs compared"
    );
}

#[test]
fn a_loaded_world_behaves_exactly_as_the_saved_one() {
    for seed in 1..=12 {
        check_seed(seed, 400, &[150, 300]);
    }
}

#[test]
fn a_world_saved_as_a_checkpoint_and_the_inputs_since_loads_exactly() {
    // loads right after a checkpoint (the same step), a few steps after
    // one and well after one; the loaded world checkpoints in turn
    for seed in 20..=27 {
        check_script_checkpointed(
            seed,
            script(seed, 400),
            &[60, 150, 300],
            &[60, 140, 200, 290],
        );
    }
}

#[test]
fn a_world_checkpointed_at_every_few_steps_loads_at_any_moment() {
    // mid-election, messages and snapshots in flight, bodies half sent,
    // watch streams open, locks waiting, members crashed or cut off
    for seed in 110..114 {
        let loads: Vec<usize> = (5..160).step_by(9).collect();
        let checkpoints: Vec<usize> = (3..160).step_by(4).collect();
        check_script_checkpointed(seed, script(seed, 160), &loads, &checkpoints);
    }
}

#[test]
fn a_save_after_a_checkpoint_holds_it_and_only_the_inputs_since() {
    let mut c = Client::new(World::new(config(7)));
    for step in script(7, 200) {
        c.run(&step);
    }
    let before = c.gw.save();
    assert!(
        before.contains("\"format_version\":1"),
        "no checkpoint yet: format 1"
    );
    c.gw.checkpoint();
    let after = c.gw.save();
    let v: Value = serde_json::from_str(&after).expect("a save is JSON");
    assert_eq!(v["format_version"], 2);
    assert!(v["checkpoint"].as_str().is_some_and(|s| !s.is_empty()));
    // only the ticket the next request takes
    assert_eq!(
        v["inputs"].as_array().map(Vec::len),
        Some(1),
        "{}",
        v["inputs"]
    );
    let mut loaded = World::new(Config::default());
    loaded.load(after.as_bytes()).expect("loads");
    // it keeps the checkpoint; its inputs since are the loading's own
    // (clients of the saved world cut, the next ticket)
    let again: Value = serde_json::from_str(&loaded.save()).expect("a save is JSON");
    assert_eq!(again["checkpoint"], v["checkpoint"]);
    // a corrupt checkpoint is refused, naming it
    let bad = after.replacen("\"checkpoint\":\"", "\"checkpoint\":\"AAAA", 1);
    let err = loaded.load(bad.as_bytes()).expect_err("refused");
    assert!(err.contains("checkpoint"), "{err}");
}

#[test]
fn a_world_checkpoints_itself_as_its_journal_grows() {
    let mut gw = World::new(Config {
        members: 1,
        ..config(5)
    });
    let mut inputs = Vec::new();
    for i in 0..3_500 {
        let put = json!({"key": b64(&format!("k{}", i % 10)), "value": b64("v")}).to_string();
        gw.request(0, req("POST", "/v3/kv/put"), put.as_bytes());
        gw.run_until_idle();
        gw.drain();
        if i % 100 == 99 {
            let v: Value = serde_json::from_str(&gw.save()).expect("a save is JSON");
            inputs.push((
                v["format_version"].clone(),
                v["inputs"].as_array().map_or(0, Vec::len),
            ));
        }
    }
    // format 1 until the inputs reach the policy's count, then a
    // checkpoint and the (fewer) inputs since
    let first = inputs
        .iter()
        .position(|(f, _)| f == 2)
        .expect("a checkpoint was taken");
    assert!(inputs[..first].iter().all(|(f, _)| f == 1));
    assert!(
        inputs[first - 1].1 > 9_000 && inputs[first].1 < 1_000,
        "{inputs:?}"
    );
    assert!(inputs.iter().all(|(_, n)| *n <= 10_001), "{inputs:?}");
    let saved = gw.save();
    let mut loaded = World::new(Config::default());
    loaded.load(saved.as_bytes()).expect("loads");
    let get = json!({"key": b64("k3")}).to_string();
    let (a, b) = (
        call(&mut gw, "POST", "/v3/kv/range", &get),
        call(&mut loaded, "POST", "/v3/kv/range", &get),
    );
    assert_eq!(a, b);
}

#[test]
fn calls_whose_body_spans_a_checkpoint_load_exactly() {
    // a control and a unary call half sent at the checkpoint, completed
    // after it: the save holds them whole after the checkpoint, and the
    // loaded world runs each once, as the saved one did
    let mut reference = Client::new(World::new(config(31)));
    reference.run(&Step::Idle);
    let gw = &mut reference.gw;
    let crash = gw.submit(0, req("POST", "/_sim/crash"));
    gw.body(crash, br#"{"memb"#);
    let put = gw.submit(1, req("POST", "/v3/kv/put"));
    gw.body(put, format!(r#"{{"key":"{}","#, b64("half")).as_bytes());
    gw.checkpoint();
    gw.body(crash, br#"er":2}"#);
    gw.finish(crash);
    gw.body(put, format!(r#""value":"{}"}}"#, b64("sent")).as_bytes());
    gw.finish(put);
    reference.run(&Step::Idle);
    let mut copy = Client::new(reload(&reference.gw));
    let log = std::mem::take(&mut reference.log);
    assert!(log.iter().any(|l| l.contains("\"revision\"")), "{log:?}");
    for step in script(31, 120) {
        reference.run(&step);
        copy.run(&step);
    }
    assert_eq!(copy.log, reference.log, "outputs differ");
    assert_eq!(copy.inspect(), reference.inspect(), "state differs");
}

#[test]
fn a_world_with_instant_links_loads_exactly() {
    // A message over a 0 ms link arrives at the instant it was sent: a
    // world that stopped at an instant has run everything due then, or a
    // replay of the clock move to that instant would run more than it did.
    for seed in 200..206 {
        let instant = json!({"latency_ms": 0, "jitter_ms": 0, "loss": 0}).to_string();
        let mut steps = vec![Step::Call(0, "/_sim/", "link".into(), instant)];
        steps.extend(script(seed, 200));
        let checkpoints: Vec<usize> = (3..200).step_by(11).collect();
        check_script(seed, steps, &checkpoints);
    }
}

#[test]
fn a_world_loads_at_any_moment() {
    // checkpoints at every few steps of a short run: mid-election, with
    // messages in flight, requests half sent, watches open
    for seed in 100..104 {
        let checkpoints: Vec<usize> = (5..120).step_by(7).collect();
        check_seed(seed, 120, &checkpoints);
    }
}

fn call(gw: &mut World, method: &str, path: &str, body: &str) -> (u16, Value) {
    let t = gw.request(0, req(method, path), body.as_bytes());
    gw.run_until_idle();
    for o in gw.drain() {
        if let Output::Response { ticket, response } = o {
            if ticket == t {
                let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                return (response.status, v);
            }
        }
    }
    panic!("no answer to {path}");
}

#[test]
fn over_http_save_and_load_restore_keys_and_members_and_cut_clients() {
    let mut gw = World::new(config(7));
    let put = json!({"key": b64("a"), "value": b64("1")}).to_string();
    assert_eq!(call(&mut gw, "POST", "/v3/kv/put", &put).0, 200);
    call(&mut gw, "POST", "/_sim/crash", r#"{"member":2}"#);
    let (status, saved) = call(&mut gw, "GET", "/_sim/save", "");
    assert_eq!(status, 200);
    assert_eq!(saved["format"], "etcd-sim world");
    assert_eq!(saved["members"], 3);
    let saved = saved.to_string();

    // the world moves on: another key, a reset to one member
    let put_b = json!({"key": b64("b"), "value": b64("2")}).to_string();
    call(&mut gw, "POST", "/v3/kv/put", &put_b);
    call(&mut gw, "POST", "/_sim/reset", r#"{"members":1}"#);
    // a client with a watch open, and one still sending its body
    let w = gw.submit(0, req("POST", "/v3/watch"));
    gw.body(
        w,
        json!({"create_request": {"key": b64("a")}})
            .to_string()
            .as_bytes(),
    );
    let half = gw.submit(0, req("POST", "/v3/kv/put"));
    gw.body(half, b"{\"key\":");
    gw.run_until_idle();
    gw.drain();

    let (status, state) = call(&mut gw, "POST", "/_sim/load", &saved);
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["members"].as_array().map(Vec::len), Some(3));
    assert_eq!(state["members"][2]["crashed"], true);
    let range = json!({"key": b64("a"), "range_end": b64("c")}).to_string();
    let (_, r) = call(&mut gw, "POST", "/v3/kv/range", &range);
    assert_eq!(r["kvs"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["kvs"][0]["value"], b64("1"));
    // the watch stream of the old world ended; the half-sent put was refused
    let (_, watches) = call(&mut gw, "GET", "/_sim/watches", "");
    assert_eq!(watches["watches"], json!([]));
    gw.body(half, b"\"x\"}");
    gw.finish(half);
    gw.run_until_idle();
    assert!(gw.drain().is_empty(), "the cut request says nothing more");
}

#[test]
fn a_bad_save_is_refused_and_changes_nothing() {
    let mut gw = World::new(config(3));
    let put = json!({"key": b64("a"), "value": b64("1")}).to_string();
    call(&mut gw, "POST", "/v3/kv/put", &put);
    let before = recorded(&gw.save());
    for bad in [
        "",
        "{",
        "[]",
        r#"{"format":"etcd-sim world","format_version":1}"#,
    ] {
        let (status, body) = call(&mut gw, "POST", "/_sim/load", bad);
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (status, _) = call(&mut gw, "GET", "/_sim/load", "");
    assert_eq!(status, 405);
    assert_eq!(
        recorded(&gw.save()),
        before,
        "failed loads and inspection are not recorded"
    );
}

/// A saved world without its closing ticket counter, which every request
/// moves (inspection too): what the world was given.
fn recorded(saved: &str) -> Value {
    let mut v: Value = serde_json::from_str(saved).expect("a save is JSON");
    let last = v["inputs"].as_array_mut().and_then(Vec::pop);
    assert_eq!(last.as_ref().map(|l| &l[0]), Some(&json!("next_ticket")));
    v
}

/// Tickets go on after a load as they would have in the saved world, even
/// when its last requests were not recorded (inspection, a refused control,
/// a connection to a down member): outputs of the two name the same tickets.
#[test]
fn a_loaded_world_numbers_the_next_requests_as_the_saved_one_would() {
    let mut gw = World::new(config(4));
    call(&mut gw, "POST", "/_sim/crash", r#"{"member":2}"#);
    call(&mut gw, "GET", "/_sim/state", "");
    call(&mut gw, "POST", "/_sim/crash", r#"{"member":9}"#);
    gw.request(2, req("POST", "/v3/kv/range"), b"{}");
    gw.drain();
    let mut loaded = reload(&gw);
    let put = json!({"key": b64("a"), "value": b64("1")}).to_string();
    let a = gw.request(0, req("POST", "/v3/kv/put"), put.as_bytes());
    let b = loaded.request(0, req("POST", "/v3/kv/put"), put.as_bytes());
    assert_eq!(a, b);
}

#[test]
fn pause_stops_the_clock_for_the_driver_and_step_moves_it() {
    let mut gw = World::new(config(5));
    let epoch = gw.epoch();
    let (_, s) = call(&mut gw, "POST", "/_sim/step", "{}");
    assert_eq!(s["error"], "the world is running: POST /_sim/pause first");
    let (status, s) = call(&mut gw, "POST", "/_sim/pause", "");
    assert_eq!((status, &s["paused"]), (200, &json!(true)));
    assert!(gw.paused() && gw.epoch() > epoch);

    // a put to the leader waits until stepped; over the default links
    // (loopback: no time at all) one step answers it, at the same instant
    let put = json!({"key": b64("k"), "value": b64("v")}).to_string();
    let t = gw.request(0, req("POST", "/v3/kv/put"), put.as_bytes());
    let now = gw.now();
    let (_, s, out) = call_no_run(&mut gw, "/_sim/step", "{}");
    assert!(out.iter().any(|o| o.ticket() == t), "{out:?}");
    assert_eq!(s["now"].as_u64(), Some(now));

    // over links of a few ms a student sees the write travel, step by step
    call_no_run(&mut gw, "/_sim/link", r#"{"latency_ms":2,"jitter_ms":1}"#);
    let t = gw.request(0, req("POST", "/v3/kv/put"), put.as_bytes());
    // step to the next event, one at a time, until the put is answered
    let mut steps = 0;
    let answered = loop {
        let (_, s, out) = call_no_run(&mut gw, "/_sim/step", "{}");
        steps += 1;
        if out.iter().any(|o| o.ticket() == t) {
            break s;
        }
        assert!(steps < 50, "the put was never answered");
    };
    assert!(steps > 1, "replication takes more than one step");
    assert!(answered["now"].as_u64() > Some(now));
    let (_, s, _) = call_no_run(&mut gw, "/_sim/step", r#"{"ms":1000}"#);
    assert_eq!(
        s["now"].as_u64(),
        answered["now"].as_u64().map(|n| n + 1000)
    );
    let (_, s, _) = call_no_run(&mut gw, "/_sim/step", r#"{"ms":-1}"#);
    assert_eq!(s["error"], "\"ms\" must be a whole number");
    let (_, s) = call(&mut gw, "POST", "/_sim/resume", "");
    assert_eq!(s["paused"], false);
    assert!(!gw.paused());
}

/// A control call answered without running the world (as while paused);
/// also the other outputs it brought.
fn call_no_run(gw: &mut World, path: &str, body: &str) -> (u16, Value, Vec<Output>) {
    let t = gw.request(0, req("POST", path), body.as_bytes());
    let (mine, others): (Vec<Output>, Vec<Output>) =
        gw.drain().into_iter().partition(|o| o.ticket() == t);
    let Some(Output::Response { response, .. }) = mine.into_iter().next() else {
        panic!("no answer to {path}");
    };
    let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, v, others)
}

#[test]
fn the_speed_is_kept_for_the_driver_and_checked() {
    let mut gw = World::new(config(5));
    let epoch = gw.epoch();
    let (status, s) = call(&mut gw, "POST", "/_sim/speed", r#"{"speed":0.25}"#);
    assert_eq!((status, &s["speed"]), (200, &json!(0.25)));
    assert_eq!(gw.speed(), 0.25);
    assert!(gw.epoch() > epoch, "the driver re-anchors");
    for bad in [
        r#"{"speed":0}"#,
        r#"{"speed":101}"#,
        r#"{"speed":"fast"}"#,
        "{}",
    ] {
        let (status, s) = call(&mut gw, "POST", "/_sim/speed", bad);
        assert_eq!(status, 400, "{bad}");
        assert_eq!(s["error"], "\"speed\" must be a number from 0.01 to 100");
    }
    assert_eq!(gw.speed(), 0.25);
    // a reset gives real time again
    call(&mut gw, "POST", "/_sim/reset", "{}");
    assert_eq!(gw.speed(), 1.0);
}
