//! The world driving its members: what only shows when they run together.

use super::*;

/// The times in `from..=to` (whole seconds) at which member 0's
/// leader monitor reports no leader.
fn reports(c: &mut Cluster, from: u64, to: u64) -> Vec<u64> {
    let mut at = Vec::new();
    for t in (from..=to).step_by(ELECTION_MS as usize) {
        c.advance_to(t);
        if c.drain().contains(&Outcome::NoLeader(0)) {
            at.push(t);
        }
    }
    at
}

#[test]
fn a_lock_call_runs_on_its_member_through_the_client_path() {
    let mut c = Cluster::new(&Config {
        members: 1,
        ..Config::default()
    });
    let since = c.trace().next_seq();
    let lock = crate::pb::LockRequest {
        name: b"l".to_vec(),
        lease: 0,
    };
    c.service(0, 7, ServiceCall::Lock(lock), None);
    c.run_until_idle();
    let out = c.drain();
    let key = match out.as_slice() {
        [Outcome::Answer(Answer::Service(7, Ok(crate::server::ServiceResponse::Lock(r))))] => {
            r.key.clone()
        }
        other => panic!("{other:?}"),
    };
    // the session's lease, then the mutex's txn, as a client's requests
    let requests: Vec<&str> = c
        .trace()
        .since(since)
        .filter_map(|e| match &e.kind {
            TraceKind::Request {
                member: 0, request, ..
            } => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(requests, ["lease_grant", "txn"]);
    assert!(key.starts_with(b"l/"), "{key:?}");
}

#[test]
fn a_member_reports_from_the_third_check_without_leader_and_a_crash_starts_over() {
    let mut c = Cluster::new(&Config::default());
    c.advance_to(1_000);
    c.partition(&[vec![0], vec![1, 2]]);
    let mut lost = 1_000;
    while c.has_leader(0) {
        lost += TICK_MS;
        c.advance_to(lost);
    }
    let first = lost.div_ceil(ELECTION_MS) * ELECTION_MS;
    let third = first + 2 * ELECTION_MS;
    assert_eq!(
        reports(&mut c, first, third + 1_000),
        [third, third + 1_000]
    );
    // a restarted process has a new monitor
    let _ = c.crash(0);
    let _ = c.restart(0);
    let restarted = c.now();
    assert_eq!(
        reports(&mut c, restarted + 1_000, restarted + 3_000),
        [restarted + 3_000]
    );
}
