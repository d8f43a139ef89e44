//! The event trace as data: an election reads as Raft's transitions in
//! order, a message is followed by its id from `send` to `deliver` or
//! `drop`, and every way a message can be lost says why. Then the same
//! events as `/_sim/trace` writes them: flat objects whose every kind and
//! field `docs/trace.md` documents.

use etcd_sim::cluster::network::Link;
use etcd_sim::cluster::trace::{Control, DropReason, Envelope, TraceEvent, TraceKind};
use etcd_sim::cluster::Cluster;
use etcd_sim::raft::{Event, MessageType};
use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::Value;
use std::collections::BTreeMap;

fn cluster() -> Cluster {
    Cluster::new(&Config::default())
}

fn run_for(c: &mut Cluster, ms: u64) {
    let t = c.now() + ms;
    c.advance_to(t);
}

/// The events from number `from` on.
fn events(c: &Cluster, from: u64) -> Vec<TraceEvent> {
    c.trace().since(from).cloned().collect()
}

/// The Raft transitions among `events`, commits left out.
fn transitions(events: &[TraceEvent]) -> Vec<(usize, Event<Option<usize>>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Raft { member, event } if !matches!(event, Event::Committed { .. }) => {
                Some((*member, event.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The message events among `events`, by message id: the `Send` and what
/// became of the message.
fn by_id(events: &[TraceEvent]) -> BTreeMap<u64, Vec<&TraceEvent>> {
    let mut ids: BTreeMap<u64, Vec<&TraceEvent>> = BTreeMap::new();
    for e in events {
        let id = match &e.kind {
            TraceKind::Send { envelope, .. }
            | TraceKind::Deliver(envelope)
            | TraceKind::Drop(envelope, _) => envelope.id,
            _ => continue,
        };
        ids.entry(id).or_default().push(e);
    }
    ids
}

fn envelope(e: &TraceEvent) -> Option<Envelope> {
    match &e.kind {
        TraceKind::Send { envelope, .. }
        | TraceKind::Deliver(envelope)
        | TraceKind::Drop(envelope, _) => Some(*envelope),
        _ => None,
    }
}

/// Raft paper 5.2 with pre-vote (thesis 9.6): when the leader dies, a
/// follower whose election timeout elapses first asks for pre-votes, then
/// becomes candidate in the next term, gets the other follower's vote and
/// becomes leader; nothing else happens in between.
#[test]
fn a_leader_crash_is_followed_by_a_pre_vote_a_vote_and_a_new_leader_in_order() {
    let mut c = cluster();
    assert_eq!(c.leader(), Some(0));
    let from = c.trace().next_seq();
    assert!(c.crash(0).is_ok());
    run_for(&mut c, 3_000);
    let Some(leader) = c.leader() else {
        panic!("no leader after the crash")
    };
    let follower = 3 - leader;
    let seen = events(&c, from);
    assert_eq!(
        seen[0].kind,
        TraceKind::Control(Control::Crash { member: 0 })
    );
    let want = vec![
        (leader, Event::BecamePreCandidate { term: 2 }),
        (
            follower,
            Event::Voted {
                candidate: Some(leader),
                term: 3,
                pre_vote: true,
                granted: true,
            },
        ),
        (leader, Event::BecameCandidate { term: 3 }),
        (
            follower,
            Event::BecameFollower {
                term: 3,
                leader: None,
            },
        ),
        (
            follower,
            Event::Voted {
                candidate: Some(leader),
                term: 3,
                pre_vote: false,
                granted: true,
            },
        ),
        (leader, Event::BecameLeader { term: 3 }),
    ];
    assert_eq!(transitions(&seen), want);
}

/// A message keeps its id from `send` to `deliver`; the delivery comes
/// after the link's latency, from and to the same members.
#[test]
fn a_message_is_followed_by_its_id_from_send_to_deliver() {
    let mut c = cluster();
    let slow = Link {
        latency_ms: 30,
        jitter_ms: 0,
        loss_ppm: 0,
    };
    c.set_link(None, slow);
    let from = c.trace().next_seq();
    run_for(&mut c, 1_000);
    let seen = events(&c, from);
    let ids = by_id(&seen);
    // (those sent in the last 30 ms are still on their way)
    let end = c.now() - 30;
    let heartbeats: Vec<_> = ids
        .values()
        .filter(|m| m[0].at <= end)
        .filter(|m| envelope(m[0]).is_some_and(|e| e.msg_type == MessageType::Heartbeat))
        .collect();
    assert!(heartbeats.len() >= 10, "{heartbeats:?}");
    for m in heartbeats {
        let (sent, delivered) = match m.as_slice() {
            [s, d] => (s, d),
            other => panic!("a heartbeat not sent then delivered once: {other:?}"),
        };
        let TraceKind::Send { envelope: e, .. } = sent.kind else {
            panic!("{sent:?} is not a send")
        };
        assert_eq!(e.from, 0, "the leader sends heartbeats");
        assert_eq!(delivered.kind, TraceKind::Deliver(e));
        assert_eq!(delivered.at, sent.at + 30);
    }
}

/// A partition drops what crosses it when it is sent, and a link that
/// loses everything what it carries: the drop follows the send at once and
/// says why. The rest arrives.
#[test]
fn a_message_across_a_partition_is_dropped_as_blocked() {
    let mut c = cluster();
    let lossy = Link {
        loss_ppm: 1_000_000,
        ..Link::default()
    };
    c.set_link(Some((0, 1)), lossy);
    let from = c.trace().next_seq();
    run_for(&mut c, 500);
    c.set_link(None, Link::default());
    let partitioned = c.trace().next_seq();
    c.partition(&[vec![0], vec![1, 2]]);
    run_for(&mut c, 500);
    let seen = events(&c, from);
    let (mut blocked, mut lost, mut delivered) = (0, 0, 0);
    for m in by_id(&seen).values() {
        let Some(e) = envelope(m[0]) else { continue };
        let crosses = (e.from == 0) != (e.to == 0);
        let (s, d) = match m.as_slice() {
            [s, d] => (s, d),
            [_] => continue, // still in flight
            other => panic!("a message with events {other:?}"),
        };
        if s.seq > partitioned && crosses {
            assert_eq!(d.kind, TraceKind::Drop(e, DropReason::Blocked), "{s:?}");
            assert_eq!(d.seq, s.seq + 1);
            blocked += 1;
        } else if s.seq < partitioned && (e.from, e.to) == (0, 1) {
            assert_eq!(d.kind, TraceKind::Drop(e, DropReason::Loss), "{s:?}");
            assert_eq!(d.seq, s.seq + 1);
            lost += 1;
        } else {
            assert_eq!(d.kind, TraceKind::Deliver(e), "{s:?}");
            delivered += 1;
        }
    }
    assert!(
        blocked >= 5 && lost >= 5 && delivered >= 5,
        "blocked {blocked}, lost {lost}, delivered {delivered}"
    );
    // a message in flight when the link is cut is lost on arrival (links
    // of a few ms, as on a LAN: a heartbeat is on its way for a while)
    let lan = Link {
        latency_ms: 2,
        jitter_ms: 1,
        loss_ppm: 0,
    };
    c.set_link(None, lan);
    c.heal();
    let mut in_flight = Vec::new();
    for _ in 0..200 {
        run_for(&mut c, 1);
        in_flight = c.network().in_flight().map(|m| m.id).collect();
        if !in_flight.is_empty() {
            break;
        }
    }
    assert!(!in_flight.is_empty(), "a heartbeat on its way");
    let from = c.trace().next_seq();
    c.partition(&[vec![0], vec![1], vec![2]]);
    run_for(&mut c, 10);
    let seen = events(&c, from);
    for id in in_flight {
        let ends: Vec<_> = seen
            .iter()
            .filter(|e| envelope(e).is_some_and(|m| m.id == id))
            .collect();
        assert!(
            matches!(ends.as_slice(), [d] if matches!(d.kind, TraceKind::Drop(_, DropReason::Blocked))),
            "message {id}: {ends:?}"
        );
    }
}

/// A crash cuts every message in flight to or from the member, right after
/// the crash itself; what is sent to it later is dropped because it is
/// down.
#[test]
fn a_crash_cuts_the_messages_in_flight_to_and_from_the_member() {
    let mut c = cluster();
    c.set_link(
        None,
        Link {
            latency_ms: 50,
            jitter_ms: 0,
            loss_ppm: 0,
        },
    );
    run_for(&mut c, 120);
    let cut: Vec<u64> = c
        .network()
        .in_flight()
        .filter(|m| m.from == 2 || m.to == 2)
        .map(|m| m.id)
        .collect();
    assert!(!cut.is_empty(), "messages in flight to or from m2");
    let from = c.trace().next_seq();
    assert!(c.crash(2).is_ok());
    run_for(&mut c, 300);
    let seen = events(&c, from);
    assert_eq!(
        seen[0].kind,
        TraceKind::Control(Control::Crash { member: 2 })
    );
    let dropped: Vec<u64> = seen[1..=cut.len()]
        .iter()
        .filter_map(|e| match e.kind {
            TraceKind::Drop(m, DropReason::Crash) => Some(m.id),
            _ => None,
        })
        .collect();
    assert_eq!(dropped, cut);
    let down = seen
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Drop(m, DropReason::Down) if m.to == 2))
        .count();
    assert!(down >= 2, "heartbeats to the down member: {down}");
}

// ---- as /_sim/trace writes them ----

/// A request to `member`, run until answered: its status and body.
fn call(gw: &mut World, member: usize, method: &str, path: &str, body: &str) -> (u16, String) {
    let req = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: Vec::new(),
    };
    let t = gw.request(member, req, body.as_bytes());
    gw.run_until_idle();
    gw.drain()
        .into_iter()
        .find_map(|o| match o {
            Output::Response { ticket, response } if ticket == t => Some((
                response.status,
                String::from_utf8_lossy(&response.body).into_owned(),
            )),
            _ => None,
        })
        .unwrap_or_default()
}

/// The raw `/_sim/trace` text.
fn trace_text(gw: &mut World) -> String {
    call(gw, 0, "GET", "/_sim/trace?since=0", "").1
}

/// A world that went through every control action, elections, a
/// transfer, snapshots, a member added and removed, writes and requests.
fn eventful_world() -> World {
    let mut gw = World::new(Config {
        members: 3,
        snapshot_count: 5,
        ..Config::default()
    });
    let steps: &[(&str, &str)] = &[
        ("/_sim/pause", ""),
        ("/_sim/step", r#"{"ms":10}"#),
        ("/_sim/resume", ""),
        ("/v3/kv/put", r#"{"key":"YQ==","value":"MQ=="}"#),
        ("/_sim/crash", r#"{"member":0}"#),
        ("/_sim/restart", r#"{"member":0}"#),
        (
            "/_sim/link",
            r#"{"from":1,"to":2,"latency_ms":5,"loss":0.5}"#,
        ),
        ("/_sim/link", r#"{}"#),
        ("/_sim/block", r#"{"from":0,"to":1}"#),
        ("/_sim/partition", r#"{"groups":[[0],[1,2]]}"#),
        ("/_sim/heal", ""),
        ("/v3/kv/put", r#"{"key":"Yg==","value":"Mg=="}"#),
        (
            "/v3/kv/txn",
            r#"{"success":[{"request_range":{"key":"YQ=="}}]}"#,
        ),
        ("/v3/kv/deleterange", r#"{"key":"YQ=="}"#),
        ("/v3/lease/grant", r#"{"TTL":60}"#),
        ("/_sim/add_member", r#"{"learner":true}"#),
        // writes the learner catches up on (from the leader's state, sent
        // as a snapshot) and a snapshot that has it in its configuration
        ("/v3/kv/put", r#"{"key":"Yw==","value":"Mw=="}"#),
        ("/v3/kv/put", r#"{"key":"Yw==","value":"NA=="}"#),
        ("/v3/kv/put", r#"{"key":"Yw==","value":"NQ=="}"#),
        ("/v3/kv/put", r#"{"key":"Yw==","value":"Ng=="}"#),
        ("/v3/kv/put", r#"{"key":"Yw==","value":"Nw=="}"#),
        ("/_sim/remove_member", r#"{"member":3}"#),
        ("/_sim/transfer", r#"{"member":2}"#),
    ];
    for (path, body) in steps {
        // (member 1: requests and control go to any member)
        let (status, answer) = call(&mut gw, 1, "POST", path, body);
        assert_eq!(status, 200, "{path}: {answer}");
        // long enough for an election, or a new member to catch up
        let t = gw.now() + 3_000;
        gw.advance_to(t);
    }
    gw
}

/// Each event is one object: `seq`, `at`, `kind` and its own fields after
/// them (no `detail`), members as indices, Raft ids as strings.
#[test]
fn the_trace_is_flat_objects_that_start_with_seq_at_and_kind() {
    let mut gw = eventful_world();
    let text = trace_text(&mut gw);
    let trace: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let events = trace["events"].as_array().cloned().unwrap_or_default();
    assert!(events.len() > 500, "{text}");
    for e in &events {
        assert!(
            e["seq"].is_u64() && e["at"].is_u64() && e["kind"].is_string(),
            "{e}"
        );
        assert!(
            e.as_object()
                .is_some_and(|o| o.values().all(|v| !v.is_object())),
            "{e}"
        );
    }
    assert_eq!(text.matches(r#"{"seq":"#).count(), events.len());
    // in the order docs/trace.md lists the fields
    let vote =
        r#","kind":"vote","member":1,"candidate":0,"term":2,"pre_vote":true,"granted":true}"#;
    assert!(text.contains(vote), "{text}");
    let send = r#","kind":"send","id":1,"from":0,"to":2,"type":"PreVote","term":2,"log_term":1,"index":3,"commit":0,"entries":0,"reject":false}"#;
    assert!(text.contains(send), "{text}");
    let conf = events
        .iter()
        .find(|e| e["kind"] == "apply" && e["entry"] == "conf_change")
        .cloned()
        .unwrap_or_default();
    assert!(conf["node_id"].is_string() && conf["node"] == 0, "{conf}");
    let put = events
        .iter()
        .find(|e| e["kind"] == "apply" && e["entry"] == "put")
        .cloned()
        .unwrap_or_default();
    assert_eq!(put["revision"], 2, "the first put makes revision 2: {put}");
    let read_only = events
        .iter()
        .find(|e| e["kind"] == "apply" && e["entry"] == "txn")
        .cloned()
        .unwrap_or_default();
    assert_eq!(read_only["revision"], Value::Null, "{read_only}");
    let partition = events.iter().find(|e| e["kind"] == "partition");
    assert_eq!(
        partition.map(|p| p["groups"].to_string()),
        Some("[[0],[1,2]]".into())
    );
}

/// `docs/trace.md` has a section for every kind of event, which names
/// every field the kind has.
#[test]
fn every_kind_and_field_of_the_trace_is_documented() {
    let doc = include_str!("../docs/trace.md");
    let mut gw = eventful_world();
    let trace: Value = serde_json::from_str(&trace_text(&mut gw)).unwrap_or(Value::Null);
    let mut fields: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for e in trace["events"].as_array().into_iter().flatten() {
        let kind = e["kind"].as_str().unwrap_or_default().to_string();
        let keys = e.as_object().into_iter().flat_map(|o| o.keys().cloned());
        fields.entry(kind).or_default().extend(keys);
    }
    let seen: Vec<&String> = fields.keys().collect();
    for kind in [
        "apply",
        "apply_snapshot",
        "became_candidate",
        "became_follower",
        "became_leader",
        "became_pre_candidate",
        "block",
        "cluster_started",
        "commit",
        "crash",
        "deliver",
        "drop",
        "heal",
        "link",
        "partition",
        "pause",
        "request",
        "restart",
        "resume",
        "send",
        "snapshot",
        "snapshot_restored",
        "start_member",
        "add_member",
        "remove_member",
        "transfer",
        "transfer_started",
        "vote",
    ] {
        assert!(fields.contains_key(kind), "{kind} not in {seen:?}");
    }
    for (kind, names) in &fields {
        let heading = format!("\n### `{kind}`\n");
        let Some(start) = doc.find(&heading) else {
            panic!("docs/trace.md has no section {heading:?}")
        };
        let section = &doc[start + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        for name in names {
            let common = ["seq", "at", "kind"].contains(&name.as_str());
            assert!(
                common || section.contains(&format!("`{name}`")),
                "docs/trace.md: `{kind}` does not name `{name}`"
            );
        }
    }
}
