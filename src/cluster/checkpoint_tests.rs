//! A cluster read back from its checkpoint is the cluster: the same bytes
//! again, and the same answers and trace, byte for byte, when both run on
//! with the same inputs.

use super::*;
use crate::checkpoint::{from_bytes, to_bytes};
use crate::pb::watch_request::RequestUnion;
use crate::pb::{LockRequest, PutRequest, RangeRequest, WatchCreateRequest};

fn put(key: &str, value: &str) -> Request {
    Request::Put(PutRequest {
        key: key.into(),
        value: value.into(),
        ..Default::default()
    })
}

/// `c` through its checkpoint, checked to re-encode to the same bytes.
fn reloaded(c: &Cluster) -> Cluster {
    let bytes = to_bytes(c);
    let back: Cluster = from_bytes(&bytes).expect("a cluster reads back");
    assert_eq!(to_bytes(&back), bytes, "re-encodes to the same bytes");
    back
}

/// What `c` answers and traces from here on, given the same inputs.
fn run_on(c: &mut Cluster, from_ticket: Ticket) -> (String, String) {
    let since = c.trace().next_seq();
    let mut out = format!("{:?}", c.drain());
    for i in 0..20 {
        let t = from_ticket + i;
        c.submit(
            (i % 3) as usize,
            t,
            put(&format!("k{}", i % 4), "after"),
            None,
        );
        if i == 5 {
            c.heal();
            let _ = c.restart(2);
        }
        if i == 10 {
            c.service_cancel(0, 500);
        }
        c.advance_to(c.now() + 7);
        out += &format!("{:?}", c.drain());
    }
    c.submit(
        0,
        from_ticket + 100,
        Request::Range(RangeRequest {
            key: b"k".to_vec(),
            range_end: b"l".to_vec(),
            ..Default::default()
        }),
        None,
    );
    c.run_until_idle_or(c.now() + 20_000);
    out += &format!("{:?}", c.drain());
    let trace: Vec<String> = c.trace().since(since).map(|e| format!("{e:?}")).collect();
    (out, trace.join("\n"))
}

fn checked_alike(c: &mut Cluster, from_ticket: Ticket) {
    let mut copy = reloaded(c);
    let a = run_on(c, from_ticket);
    let b = run_on(&mut copy, from_ticket);
    assert_eq!(a.0, b.0, "the same answers");
    assert_eq!(a.1, b.1, "the same trace");
    assert_eq!(to_bytes(c), to_bytes(&copy), "the same state after");
}

#[test]
fn a_cluster_mid_run_reads_back_and_runs_on_alike() {
    let mut c = Cluster::new(&Config {
        snapshot_count: 8,
        ..Config::default()
    });
    c.trace_mut().messages = true;
    c.advance_to(2_000);
    // a watch stream open on member 1
    c.watch_open(1, 300, None);
    c.watch(
        1,
        300,
        WatchRequest {
            request_union: Some(RequestUnion::CreateRequest(WatchCreateRequest {
                key: b"k".to_vec(),
                range_end: b"l".to_vec(),
                prev_kv: true,
                ..Default::default()
            })),
        },
    );
    for i in 0..30 {
        c.submit(0, i, put(&format!("k{}", i % 4), "v"), None);
    }
    c.advance_to(2_100);
    // a lock held and a second call waiting for it
    let lock = |name: &[u8]| {
        ServiceCall::Lock(LockRequest {
            name: name.to_vec(),
            lease: 0,
        })
    };
    c.service(0, 400, lock(b"m"), None);
    c.advance_to(2_200);
    c.service(0, 500, lock(b"m"), None);
    c.advance_to(2_250);
    // member 2 crashed, member 1 slow, writes in flight
    c.crash(2).expect("crashes");
    c.set_link(
        Some((0, 1)),
        network::Link {
            latency_ms: 30,
            jitter_ms: 5,
            loss_ppm: 0,
        },
    );
    for i in 30..40 {
        c.submit(0, i, put(&format!("k{}", i % 4), "w"), None);
    }
    c.advance_to(2_260);
    assert!(c.network().next_delivery().is_some(), "messages in flight");
    checked_alike(&mut c, 1_000);
}

#[test]
fn a_partitioned_cluster_with_a_snapshot_in_flight_reads_back_alike() {
    let mut c = Cluster::new(&Config {
        snapshot_count: 5,
        ..Config::default()
    });
    c.trace_mut().messages = true;
    c.advance_to(2_000);
    c.partition(&[vec![0, 1], vec![2]]);
    for i in 0..40 {
        c.submit(0, i, put(&format!("k{i}"), "v"), None);
        c.advance_to(c.now() + 5);
    }
    c.heal();
    // the leader's log was compacted past member 2: a snapshot goes out
    let slow = network::Link {
        latency_ms: 20,
        jitter_ms: 0,
        loss_ppm: 0,
    };
    c.set_link(None, slow);
    let snap_in_flight = |c: &Cluster| {
        c.network()
            .in_flight()
            .any(|m| m.msg.snapshot.as_ref().is_some_and(|s| s.data.is_some()))
    };
    for _ in 0..2_000 {
        if snap_in_flight(&c) {
            break;
        }
        c.advance_to(c.now() + 1);
    }
    assert!(
        snap_in_flight(&c),
        "a snapshot with the leader's state in flight"
    );
    checked_alike(&mut c, 2_000);
}
