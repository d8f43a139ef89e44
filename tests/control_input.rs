//! Bad `/_sim/` control input: every control checks what it is given
//! (member indexes that exist, numbers in range, partition groups that are
//! disjoint and not empty, JSON of the right types, no unknown fields) and
//! refuses nonsense with a 400 `{"error": ...}` naming the problem. A
//! refused control changes nothing: the world's state, its trace and its
//! saved journal are the same before and after.

use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::{json, Value};

/// Three members, member 0 leading, the first election's messages settled.
fn world() -> World {
    let mut gw = World::new(Config {
        members: 3,
        ..Config::default()
    });
    gw.run_until_idle();
    gw.drain();
    gw
}

fn request(method: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: Vec::new(),
    }
}

/// One request answered at once, without moving virtual time.
fn call(gw: &mut World, method: &str, path: &str, body: &str) -> (u16, Value) {
    let t = gw.request(0, request(method, path), body.as_bytes());
    for o in gw.drain() {
        if let Output::Response { ticket, response } = o {
            if ticket == t {
                let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                return (response.status, v);
            }
        }
    }
    panic!("{path}: no answer");
}

/// Everything a refused control must leave as it was: the saved world
/// (its journal, without the ticket counter that closes it: every request
/// takes a ticket, these inspections too), the state and the whole trace.
fn snapshot(gw: &mut World) -> [Value; 3] {
    ["save", "state", "trace?since=0"].map(|p| {
        let t = gw.request(0, request("GET", &format!("/_sim/{p}")), b"");
        let out = gw.drain();
        let mut v: Value = match out.iter().find(|o| o.ticket() == t) {
            Some(Output::Response { response, .. }) => {
                serde_json::from_slice(&response.body).expect("JSON")
            }
            other => panic!("{p}: {other:?}"),
        };
        if p == "save" {
            let last = v["inputs"].as_array_mut().and_then(Vec::pop);
            assert_eq!(last.map(|l| l[0].clone()), Some(json!("next_ticket")));
        }
        v
    })
}

/// POSTs `body` to `/_sim/{control}` and checks it is refused with exactly
/// `error`, changing nothing.
fn refused(gw: &mut World, control: &str, body: &str, error: &str) {
    let before = snapshot(gw);
    let (status, answer) = call(gw, "POST", &format!("/_sim/{control}"), body);
    assert_eq!(
        (status, answer),
        (400, json!({ "error": error })),
        "/_sim/{control} {body}"
    );
    let after = snapshot(gw);
    assert_eq!(
        before, after,
        "/_sim/{control} {body} was refused but changed the world"
    );
}

/// The control takes effect (the check that the refusals above are not
/// refusing everything).
fn accepted(gw: &mut World, control: &str, body: &str) -> Value {
    let (status, answer) = call(gw, "POST", &format!("/_sim/{control}"), body);
    assert_eq!(status, 200, "/_sim/{control} {body}: {answer}");
    answer
}

const MEMBER: &str = r#""member" must be a member index from 0 to 2"#;

#[test]
fn crash_restart_transfer_and_remove_name_a_member_that_exists() {
    let mut gw = world();
    for control in ["crash", "restart", "transfer", "remove_member"] {
        refused(&mut gw, control, "", r#""member" is required"#);
        refused(&mut gw, control, "{}", r#""member" is required"#);
        refused(&mut gw, control, r#"{"member":3}"#, MEMBER);
        refused(&mut gw, control, r#"{"member":99}"#, MEMBER);
        refused(&mut gw, control, r#"{"member":-1}"#, MEMBER);
        refused(&mut gw, control, r#"{"member":1.5}"#, MEMBER);
        refused(&mut gw, control, r#"{"member":"1"}"#, MEMBER);
        refused(
            &mut gw,
            control,
            r#"{"member":null}"#,
            r#""member" is required"#,
        );
        refused(
            &mut gw,
            control,
            r#"{"member":1,"force":true}"#,
            r#"unknown field "force""#,
        );
        refused(
            &mut gw,
            control,
            "[1]",
            "the body must be a JSON object or empty",
        );
    }
    accepted(&mut gw, "crash", r#"{"member":2}"#);
    accepted(&mut gw, "restart", r#"{"member":2}"#);
}

#[test]
fn block_names_two_different_members_that_exist() {
    let mut gw = world();
    let both = r#""from" and "to" are required"#;
    refused(&mut gw, "block", "", both);
    refused(&mut gw, "block", r#"{"from":1}"#, both);
    refused(&mut gw, "block", r#"{"to":1}"#, both);
    refused(
        &mut gw,
        "block",
        r#"{"from":99,"to":0}"#,
        r#""from" must be a member index from 0 to 2"#,
    );
    refused(
        &mut gw,
        "block",
        r#"{"from":0,"to":"1"}"#,
        r#""to" must be a member index from 0 to 2"#,
    );
    refused(
        &mut gw,
        "block",
        r#"{"from":1,"to":1}"#,
        r#""from" and "to" must be different members"#,
    );
    let s = accepted(&mut gw, "block", r#"{"from":1,"to":0}"#);
    assert_eq!(s["blocked"], json!([[1, 0]]));
}

#[test]
fn partition_groups_are_disjoint_lists_of_members_that_exist() {
    let mut gw = world();
    let groups = r#""groups" must be a list of lists of member indexes from 0 to 2"#;
    refused(&mut gw, "partition", "", groups);
    refused(&mut gw, "partition", r#"{"groups":[0,1]}"#, groups);
    refused(&mut gw, "partition", r#"{"groups":[[0],[1,"2"]]}"#, groups);
    refused(&mut gw, "partition", r#"{"groups":[[0],[1,2.5]]}"#, groups);
    refused(&mut gw, "partition", r#"{"groups":[[0],[3]]}"#, groups);
    refused(&mut gw, "partition", r#"{"groups":[[0],[5]]}"#, groups);
    // the first problem in reading order is named
    refused(
        &mut gw,
        "partition",
        r#"{"groups":[[0,0],[5]]}"#,
        r#""groups" name member 0 twice"#,
    );
    refused(
        &mut gw,
        "partition",
        r#"{"groups":[]}"#,
        r#""groups" must name at least one group"#,
    );
    refused(
        &mut gw,
        "partition",
        r#"{"groups":[[0],[]]}"#,
        r#""groups" must not hold an empty group"#,
    );
    refused(
        &mut gw,
        "partition",
        r#"{"groups":[[0,0],[1,2]]}"#,
        r#""groups" name member 0 twice"#,
    );
    refused(
        &mut gw,
        "partition",
        r#"{"groups":[[0,1],[1,2]]}"#,
        r#""groups" name member 1 twice"#,
    );
    let s = accepted(&mut gw, "partition", r#"{"groups":[[0],[1,2]]}"#);
    assert_eq!(s["blocked"], json!([[0, 1], [0, 2], [1, 0], [2, 0]]));
}

#[test]
fn link_settings_are_in_range_and_name_one_link_or_none() {
    let mut gw = world();
    let latency = r#""latency_ms" must be a whole number of ms from 0 to 60000"#;
    let jitter = r#""jitter_ms" must be a whole number of ms from 0 to 60000"#;
    let loss = r#""loss" must be a number from 0 to 1"#;
    refused(&mut gw, "link", r#"{"loss":7}"#, loss);
    refused(&mut gw, "link", r#"{"loss":-0.1}"#, loss);
    refused(&mut gw, "link", r#"{"loss":"0.5"}"#, loss);
    refused(&mut gw, "link", r#"{"latency_ms":-5}"#, latency);
    refused(&mut gw, "link", r#"{"latency_ms":2.5}"#, latency);
    refused(&mut gw, "link", r#"{"latency_ms":60001}"#, latency);
    refused(&mut gw, "link", r#"{"latency_ms":"5"}"#, latency);
    refused(&mut gw, "link", r#"{"jitter_ms":-1}"#, jitter);
    refused(&mut gw, "link", r#"{"jitter_ms":1e9}"#, jitter);
    refused(
        &mut gw,
        "link",
        r#"{"from":0,"latency_ms":5}"#,
        r#""from" and "to" go together: give both or neither"#,
    );
    refused(
        &mut gw,
        "link",
        r#"{"from":0,"to":7}"#,
        r#""to" must be a member index from 0 to 2"#,
    );
    refused(
        &mut gw,
        "link",
        r#"{"from":2,"to":2}"#,
        r#""from" and "to" must be different members"#,
    );
    refused(
        &mut gw,
        "link",
        r#"{"latency":50}"#,
        r#"unknown field "latency""#,
    );
    accepted(
        &mut gw,
        "link",
        r#"{"latency_ms":60000,"jitter_ms":0,"loss":1}"#,
    );
    accepted(&mut gw, "link", r#"{"from":0,"to":1,"loss":0}"#);
}

#[test]
fn add_member_learner_is_a_boolean() {
    let mut gw = world();
    let learner = r#""learner" must be true or false"#;
    refused(&mut gw, "add_member", r#"{"learner":"yes"}"#, learner);
    refused(&mut gw, "add_member", r#"{"learner":1}"#, learner);
    refused(
        &mut gw,
        "add_member",
        r#"{"member":3}"#,
        r#"unknown field "member""#,
    );
    let s = accepted(&mut gw, "add_member", r#"{"learner":true}"#);
    assert_eq!(s["members"].as_array().map(Vec::len), Some(4));
}

#[test]
fn controls_without_settings_take_no_fields() {
    let mut gw = world();
    for control in ["heal", "pause", "resume"] {
        refused(
            &mut gw,
            control,
            r#"{"member":0}"#,
            r#"unknown field "member""#,
        );
        refused(
            &mut gw,
            control,
            "7",
            "the body must be a JSON object or empty",
        );
        accepted(&mut gw, control, "{}");
    }
}

#[test]
fn step_and_speed_keep_their_checks_and_refuse_unknown_fields() {
    let mut gw = world();
    refused(
        &mut gw,
        "step",
        "{}",
        "the world is running: POST /_sim/pause first",
    );
    refused(
        &mut gw,
        "speed",
        r#"{"speed":1000}"#,
        r#""speed" must be a number from 0.01 to 100"#,
    );
    refused(
        &mut gw,
        "speed",
        r#"{"speed":2,"ms":1}"#,
        r#"unknown field "ms""#,
    );
    accepted(&mut gw, "pause", "");
    refused(
        &mut gw,
        "step",
        r#"{"ms":-1}"#,
        r#""ms" must be a whole number"#,
    );
    refused(
        &mut gw,
        "step",
        r#"{"ms":86400001}"#,
        r#""ms" must be at most 86400000 (one day)"#,
    );
    refused(
        &mut gw,
        "step",
        r#"{"ms":5,"speed":1}"#,
        r#"unknown field "speed""#,
    );
    let s = accepted(&mut gw, "step", r#"{"ms":100}"#);
    assert_eq!(s["paused"], true);
}

#[test]
fn a_control_refused_by_the_cluster_changes_nothing_either() {
    let mut gw = world();
    // a transfer or a member change needs a leader: none after two crashes
    accepted(&mut gw, "crash", r#"{"member":1}"#);
    accepted(&mut gw, "crash", r#"{"member":2}"#);
    gw.advance_to(gw.now() + 5_000);
    gw.drain();
    refused(
        &mut gw,
        "transfer",
        r#"{"member":1}"#,
        "etcdserver: no leader",
    );
    refused(&mut gw, "add_member", "{}", "etcdserver: no leader");
    refused(
        &mut gw,
        "remove_member",
        r#"{"member":2}"#,
        "etcdserver: no leader",
    );
    // unknown paths and methods are not inputs either
    let before = snapshot(&mut gw);
    assert_eq!(call(&mut gw, "POST", "/_sim/fly", "{}").0, 404);
    assert_eq!(call(&mut gw, "POST", "/_sim/state", "{}").0, 405);
    assert_eq!(before, snapshot(&mut gw));
}

#[test]
fn a_control_is_recorded_whole_when_it_takes_effect_and_not_at_all_when_refused() {
    let mut gw = world();
    // a refused control sent in pieces, and one whose client went away
    let bad = gw.submit(0, request("POST", "/_sim/crash"));
    let gone = gw.submit(0, request("POST", "/_sim/crash"));
    gw.body(bad, br#"{"member""#);
    gw.body(gone, br#"{"member":1}"#);
    gw.cancel(gone);
    let before = snapshot(&mut gw);
    gw.body(bad, b":9}");
    gw.finish(bad);
    gw.drain();
    assert_eq!(before, snapshot(&mut gw));
    // an accepted one, in pieces: a load of the save replays it
    let good = gw.submit(0, request("POST", "/_sim/crash"));
    gw.body(good, br#"{"member""#);
    gw.body(good, b":2}");
    gw.finish(good);
    gw.drain();
    let saved = gw.save();
    let mut loaded = World::new(Config::default());
    loaded.load(saved.as_bytes()).expect("a saved world loads");
    let state = snapshot(&mut loaded)[1].clone();
    assert_eq!(state["members"][2]["crashed"], true);
    assert_eq!(state["members"][1]["crashed"], false);
}
