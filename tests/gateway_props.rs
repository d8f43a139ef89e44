//! Property test of the gateway's front door: random (mostly hostile)
//! requests must each get exactly one well-formed answer, never panic, and
//! a rejected request must never change the store.
//!
//! Deterministic: fixed seeds drive a small PRNG. A failure prints the seed,
//! the case number and the input; `GATEWAY_PROPS_SEED=n` runs one seed and
//! `GATEWAY_PROPS_CASES=n` changes the number of cases per seed.

mod props;

use etcd_sim::world::{Config, HttpRequest, HttpResponse, Output, Ticket, World};
use props::{Input, Rng};
use serde_json::Value;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const SEEDS: &[u64] = &[1, 2, 3, 5, 8, 13, 21, 34];
const CASES_PER_SEED: usize = 500;
/// Stop collecting after this many failures: the first ones are the useful ones.
const MAX_FAILURES: usize = 20;

/// The request that reads every key: its answer is the store's fingerprint.
const READ_ALL: &[u8] = br#"{"key":"AA==","range_end":"AA=="}"#;

/// Endpoints whose answer may legitimately still be open or not started
/// after the world went idle: streams and requests that block on a lock or
/// an election.
const MAY_STAY_OPEN: &[&str] = &[
    "/v3/watch",
    "/v3/lease/keepalive",
    "/v3/election/observe",
    "/v3/election/campaign",
    "/v3/lock/lock",
    "/v3/maintenance/snapshot",
];

/// The world under test plus what the checks remember between cases.
struct Harness {
    gw: World,
    /// Answer of `READ_ALL` after the last case (status, body).
    store: (u16, Vec<u8>),
    /// Tickets the client gave up on: they must never produce output again.
    canceled: BTreeSet<Ticket>,
    seed: u64,
}

impl Harness {
    /// A one-member cluster with a few keys, so reads have something to show.
    fn new(seed: u64) -> Result<Self, String> {
        let gw = World::new(Config {
            members: 1,
            seed,
            ..Config::default()
        });
        let mut w = Harness {
            gw,
            store: (0, Vec::new()),
            canceled: BTreeSet::new(),
            seed,
        };
        for (k, v) in [
            ("Zm9v", "YmFy"),
            ("YQ==", "MQ=="),
            ("Yg==", "Mg=="),
            ("AA==", ""),
            ("/w==", "/w=="),
        ] {
            let body = format!(r#"{{"key":"{k}","value":"{v}"}}"#);
            w.unary("/v3/kv/put", body.as_bytes())?;
        }
        w.store = w.unary("/v3/kv/range", READ_ALL)?;
        Ok(w)
    }

    /// Runs until idle and returns the new outputs, checking that no canceled
    /// ticket speaks again.
    fn pump(&mut self) -> Result<Vec<Output>, String> {
        self.gw.run_until_idle();
        let outs = self.gw.drain();
        match outs.iter().find(|o| self.canceled.contains(&o.ticket())) {
            Some(o) => Err(format!(
                "output for canceled ticket {}: {}",
                o.ticket(),
                describe(o)
            )),
            None => Ok(outs),
        }
    }

    /// A well-formed POST whose answer must be one complete response.
    fn unary(&mut self, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let req = HttpRequest {
            method: "POST".into(),
            path: path.into(),
            headers: Vec::new(),
        };
        let t = self.gw.request(0, req, body);
        match self.pump()?.as_slice() {
            [Output::Response { ticket, response }] if *ticket == t => {
                Ok((response.status, response.body.clone()))
            }
            other => Err(format!(
                "{path}: expected one response, got {:?}",
                other.iter().map(describe).collect::<Vec<_>>()
            )),
        }
    }

    fn cancel(&mut self, t: Ticket) -> Result<(), String> {
        self.gw.cancel(t);
        self.canceled.insert(t);
        self.pump().map(|_| ())
    }
}

/// What one request got, once the world was idle.
enum Answer {
    Response(HttpResponse),
    Refused,
    /// A streaming answer: status (if the head came) and whether it ended.
    Stream {
        status: Option<u16>,
        ended: bool,
    },
}

impl Answer {
    fn status(&self) -> Option<u16> {
        match self {
            Answer::Response(r) => Some(r.status),
            Answer::Refused => None,
            Answer::Stream { status, .. } => *status,
        }
    }

    fn finished(&self) -> bool {
        !matches!(self, Answer::Stream { ended: false, .. })
    }
}

/// Checks that the outputs of one ticket form one answer: a response, a
/// refusal, or head + chunks (+ end); nothing after the end.
fn answer_of(t: Ticket, outs: &[Output]) -> Result<Answer, String> {
    if let Some(o) = outs.iter().find(|o| o.ticket() != t) {
        return Err(format!(
            "output for a ticket nobody is waiting on: {}",
            describe(o)
        ));
    }
    let (first, rest) = match outs.split_first() {
        None => {
            return Ok(Answer::Stream {
                status: None,
                ended: false,
            })
        }
        Some(x) => x,
    };
    let only = |a: Answer| {
        if rest.is_empty() {
            Ok(a)
        } else {
            Err("output after the answer was complete".to_string())
        }
    };
    match first {
        Output::Response { response, .. } => only(Answer::Response(response.clone())),
        Output::Refused { .. } => only(Answer::Refused),
        Output::StreamHead { status, .. } => stream_rest(*status, rest),
        other => Err(format!("stream data before the head: {}", describe(other))),
    }
}

fn stream_rest(status: u16, rest: &[Output]) -> Result<Answer, String> {
    let mut ended = false;
    for o in rest {
        match o {
            _ if ended => return Err(format!("output after StreamEnd: {}", describe(o))),
            Output::StreamChunk { .. } => {}
            Output::StreamEnd { .. } => ended = true,
            other => {
                return Err(format!(
                    "unexpected output inside a stream: {}",
                    describe(other)
                ))
            }
        }
    }
    Ok(Answer::Stream {
        status: Some(status),
        ended,
    })
}

/// grpc-gateway's error body: exactly `{"error","code","message"}`.
fn check_error_body(r: &HttpResponse) -> Result<(), String> {
    let is_json = r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    if r.status < 400 || !is_json {
        return Ok(());
    }
    let v: Value = serde_json::from_slice(&r.body)
        .map_err(|e| format!("error body is not JSON ({e}): {}", r.body.escape_ascii()))?;
    let obj = v.as_object().ok_or("error body is not an object")?;
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    let (error, message) = (
        obj.get("error").and_then(Value::as_str),
        obj.get("message").and_then(Value::as_str),
    );
    let ok = keys == BTreeSet::from(["code", "error", "message"])
        && obj["code"].is_i64()
        && error.is_some()
        && error == message;
    if ok {
        Ok(())
    } else {
        Err(format!("malformed error body: {v}"))
    }
}

/// The path as the router sees it: no query string, `/v3beta/` = `/v3/`.
fn normalized(path: &str) -> String {
    let p = path.split('?').next().unwrap_or("");
    match p.strip_prefix("/v3beta/") {
        Some(rest) => format!("/v3/{rest}"),
        None => p.to_string(),
    }
}

fn revision_of(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v.pointer("/header/revision")
        .map(Value::to_string)
        .unwrap_or_else(|| "?".into())
}

/// One case: send the input, check the answer, check the store.
fn run_case(w: &mut Harness, input: &Input) -> Result<(), String> {
    let req = HttpRequest {
        method: input.method.clone(),
        path: input.path.clone(),
        headers: input.headers.clone(),
    };
    let t = w.gw.submit(input.member, req);
    let mut at = 0;
    for n in &input.pieces {
        w.gw.body(t, &input.body[at..at + n]);
        at += n;
    }
    if input.cancel_early {
        // an unfinished request must leave no trace
        w.cancel(t)?;
        return check_store_unchanged(w, "a request canceled before its body ended");
    }
    w.gw.finish(t);
    let outs = w.pump()?;
    let answer = answer_of(t, &outs)?;
    if let Some(s) = answer.status() {
        if !(100..=599).contains(&s) {
            return Err(format!("invalid HTTP status {s}"));
        }
    }
    if let Answer::Response(r) = &answer {
        check_error_body(r)?;
    }
    if !answer.finished() {
        if !MAY_STAY_OPEN.contains(&normalized(&input.path).as_str()) {
            return Err(
                "no complete answer, and this is not a streaming or blocking endpoint".into(),
            );
        }
        w.cancel(t)?;
        // a write after the cancel: a leftover watcher would now speak
        w.unary("/v3/kv/put", br#"{"key":"cHJvcHM=","value":"eA=="}"#)?;
    }
    if answer.status().is_some_and(|s| s >= 400) {
        return check_store_unchanged(w, "a rejected request");
    }
    w.store = w.unary("/v3/kv/range", READ_ALL)?;
    if w.store.0 != 200 {
        // an accepted request made the cluster unavailable, as in etcd
        // (e.g. a voting member added to a one-member cluster never starts,
        // so there is no quorum): go on with a fresh cluster
        let seed = w.seed;
        *w = Harness::new(seed)?;
    }
    Ok(())
}

fn check_store_unchanged(w: &mut Harness, what: &str) -> Result<(), String> {
    let after = w.unary("/v3/kv/range", READ_ALL)?;
    if after == w.store {
        return Ok(());
    }
    Err(format!(
        "{what} changed the store: revision {} -> {}; before {} after {}",
        revision_of(&w.store.1),
        revision_of(&after.1),
        w.store.1.escape_ascii(),
        after.1.escape_ascii()
    ))
}

fn gen_input(rng: &mut Rng, bodies: &[Vec<u8>]) -> Input {
    let body = props::body(rng, bodies);
    Input {
        // member 1 does not exist in a one-member cluster: the door is closed
        member: if rng.chance(3) { 1 } else { 0 },
        method: props::method(rng),
        path: props::path(rng),
        headers: props::headers(rng),
        pieces: props::pieces(rng, body.len()),
        cancel_early: rng.chance(3),
        body,
    }
}

fn describe(o: &Output) -> String {
    match o {
        Output::Response { ticket, response } => {
            format!("Response(#{ticket}, {})", response.status)
        }
        Output::StreamHead { ticket, status, .. } => format!("StreamHead(#{ticket}, {status})"),
        Output::StreamChunk { ticket, data } => {
            format!("StreamChunk(#{ticket}, {} bytes)", data.len())
        }
        Output::StreamEnd { ticket } => format!("StreamEnd(#{ticket})"),
        Output::Refused { ticket } => format!("Refused(#{ticket})"),
    }
}

/// The input as Rust-ish text, long parts cut, so the case can be rebuilt.
fn show_input(i: &Input) -> String {
    let cut = |s: String| {
        if s.len() > 400 {
            format!("{}...({} bytes)", &s[..400], s.len())
        } else {
            s
        }
    };
    format!(
        "member {}, method {:?}, path {}, headers {}, body b\"{}\", pieces {:?}, cancel_early {}",
        i.member,
        i.method,
        cut(format!("{:?}", i.path)),
        cut(format!("{:?}", i.headers)),
        cut(i.body.escape_ascii().to_string()),
        if i.pieces.len() > 20 {
            vec![]
        } else {
            i.pieces.clone()
        },
        i.cancel_early
    )
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs every case of one seed; returns failure reports.
fn run_seed(seed: u64, cases: usize, bodies: &[Vec<u8>]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut rng = Rng::new(seed);
    let new_world = |failures: &mut Vec<String>| match catch_unwind(|| Harness::new(seed)) {
        Ok(Ok(w)) => Some(w),
        Ok(Err(e)) => {
            failures.push(format!("seed {seed}: setting up the store: {e}"));
            None
        }
        Err(p) => {
            failures.push(format!(
                "seed {seed}: PANIC setting up the store: {}",
                panic_text(p)
            ));
            None
        }
    };
    let Some(mut world) = new_world(&mut failures) else {
        return failures;
    };
    for case in 0..cases {
        let input = gen_input(&mut rng, bodies);
        let result = catch_unwind(AssertUnwindSafe(|| run_case(&mut world, &input)));
        let report = |what: String| {
            format!(
                "seed {seed} case {case}: {what}\n    input: {}",
                show_input(&input)
            )
        };
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(report(e)),
            Err(p) => {
                failures.push(report(format!("PANIC: {}", panic_text(p))));
                // the world may be half-updated: go on with a fresh one
                match new_world(&mut failures) {
                    Some(w) => world = w,
                    None => break,
                }
            }
        }
        if failures.len() >= MAX_FAILURES {
            break;
        }
    }
    failures
}

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn random_requests_get_one_sane_answer_and_rejections_change_nothing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/scenarios");
    let bodies = props::corpus_bodies(&dir);
    let seeds: Vec<u64> = env_num("GATEWAY_PROPS_SEED")
        .map(|s| vec![s])
        .unwrap_or_else(|| SEEDS.to_vec());
    let cases = env_num("GATEWAY_PROPS_CASES")
        .map(|n| n as usize)
        .unwrap_or(CASES_PER_SEED);
    let mut failures = Vec::new();
    for seed in &seeds {
        failures.extend(run_seed(*seed, cases, &bodies));
        if failures.len() >= MAX_FAILURES {
            break;
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!(
        "{} seeds x {cases} cases, {} failures",
        seeds.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} property failures (first: {})",
        failures.len(),
        failures[0]
    );
}

#[test]
fn prng_is_deterministic() {
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
    let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
    assert_eq!(xs, ys);
    assert_ne!(xs[0], xs[1]);
}

#[test]
fn the_checks_catch_bad_answers() {
    let head = |t| Output::StreamHead {
        ticket: t,
        status: 200,
        headers: vec![],
    };
    let chunk = |t| Output::StreamChunk {
        ticket: t,
        data: b"{}\n".to_vec(),
    };
    let resp = |t, status, body: &str| {
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        Output::Response {
            ticket: t,
            response: HttpResponse {
                status,
                headers,
                body: body.as_bytes().to_vec(),
            },
        }
    };
    assert!(answer_of(1, &[head(1), chunk(1), Output::StreamEnd { ticket: 1 }]).is_ok());
    assert!(answer_of(1, &[head(1), chunk(1)]).is_ok_and(|a| !a.finished()));
    assert!(answer_of(1, &[chunk(1)]).is_err(), "chunk before head");
    assert!(
        answer_of(1, &[resp(1, 200, "{}"), resp(1, 200, "{}")]).is_err(),
        "two answers"
    );
    assert!(
        answer_of(1, &[head(1), Output::StreamEnd { ticket: 1 }, chunk(1)]).is_err(),
        "data after end"
    );
    assert!(
        answer_of(1, &[resp(2, 200, "{}")]).is_err(),
        "someone else's ticket"
    );
    let body_ok = |o: Output| match o {
        Output::Response { response, .. } => check_error_body(&response).is_ok(),
        _ => unreachable!(),
    };
    assert!(body_ok(resp(
        1,
        400,
        r#"{"error":"x","code":3,"message":"x"}"#
    )));
    assert!(!body_ok(resp(
        1,
        400,
        r#"{"error":"x","code":3,"message":"y"}"#
    )));
    assert!(!body_ok(resp(
        1,
        400,
        r#"{"error":"x","code":"3","message":"x"}"#
    )));
    assert!(!body_ok(resp(
        1,
        500,
        r#"{"error":"x","code":3,"message":"x","details":[]}"#
    )));
    assert!(!body_ok(resp(1, 404, "Not Found\n")));
}
