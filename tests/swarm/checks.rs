//! Raft's safety properties checked on a finished run (Raft paper, Figure 3):
//! election safety, log matching, leader completeness, state machine safety;
//! and that the trace follows every message from its send to its end.

use etcd_sim::cluster::trace::{Envelope, TraceKind};
use etcd_sim::cluster::{Audit, Cluster};
use std::collections::BTreeMap;

/// At most one leader per term.
pub fn election_safety(audit: &Audit) -> Result<(), String> {
    for (term, leaders) in &audit.leaders {
        if leaders.len() > 1 {
            return Err(format!(
                "election safety: term {term} had leaders {leaders:?}"
            ));
        }
    }
    Ok(())
}

/// Every member applied the same entry at every index it applied, in
/// increasing index order.
pub fn state_machine_safety(audit: &Audit) -> Result<(), String> {
    let mut at: BTreeMap<u64, (usize, u64)> = BTreeMap::new();
    for (m, log) in audit.applied.iter().enumerate() {
        let mut last = 0;
        for &(index, digest) in log {
            if index <= last {
                return Err(format!(
                    "state machine safety: m{m} applied index {index} after {last}"
                ));
            }
            last = index;
            match at.get(&index) {
                Some(&(other, d)) if d != digest => {
                    return Err(format!(
                        "state machine safety: index {index} applied as {digest:#x} on m{m} but {d:#x} on m{other}"
                    ))
                }
                Some(_) => {}
                None => {
                    at.insert(index, (m, digest));
                }
            }
        }
    }
    Ok(())
}

/// If two logs hold an entry with the same index and term, they are
/// identical up to it; committed entries are in every later leader's log.
pub fn log_matching_and_completeness(c: &Cluster, audit: &Audit) -> Result<(), String> {
    let logs: Vec<_> = (0..c.member_count()).map(|i| c.raft_log(i)).collect();
    for (a, (la, _)) in logs.iter().enumerate() {
        for (b, (lb, _)) in logs.iter().enumerate().skip(a + 1) {
            let mb: BTreeMap<u64, (u64, u64)> = lb.iter().map(|&(i, t, d)| (i, (t, d))).collect();
            let mut matched_until = None;
            for &(i, t, d) in la.iter().rev() {
                if let Some(&(tb, db)) = mb.get(&i) {
                    if matched_until.is_none() && tb == t {
                        matched_until = Some(i);
                    }
                    if matched_until.is_some() && (tb != t || db != d) {
                        return Err(format!("log matching: m{a} and m{b} differ at index {i} below a matching entry"));
                    }
                }
            }
        }
    }
    // leader completeness: what anyone applied is in the current leader's log
    if let Some(l) = c.leader() {
        let (log, _) = &logs[l];
        let first = log.first().map_or(u64::MAX, |e| e.0);
        let by_index: BTreeMap<u64, u64> = log.iter().map(|&(i, _, d)| (i, d)).collect();
        for applied in &audit.applied {
            for &(index, digest) in applied {
                if index < first {
                    continue; // compacted into the leader's snapshot
                }
                if by_index.get(&index) != Some(&digest) {
                    return Err(format!(
                        "leader completeness: applied entry {index} ({digest:#x}) missing from leader m{l}'s log"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The trace follows every message: each one it saw sent ends once, in a
/// delivery or a drop with the same envelope, or is still in flight.
/// (The trace is bounded: messages sent before what it holds are skipped.)
pub fn messages_end_once(c: &Cluster) -> Result<(), String> {
    let mut open: BTreeMap<u64, Envelope> = BTreeMap::new();
    let mut first_sent = None;
    for e in c.trace().since(0) {
        match &e.kind {
            TraceKind::Send { envelope, .. } => {
                first_sent.get_or_insert(envelope.id);
                if open.insert(envelope.id, *envelope).is_some() {
                    return Err(format!("trace: message {} sent twice", envelope.id));
                }
            }
            TraceKind::Deliver(end) | TraceKind::Drop(end, _) => match open.remove(&end.id) {
                Some(sent) if sent == *end => {}
                Some(sent) => return Err(format!("trace: {sent:?} ended as {:?}", e.kind)),
                None if first_sent.is_some_and(|f| end.id >= f) => {
                    return Err(format!("trace: {:?} without its send, or twice", e.kind))
                }
                None => {} // sent before the events the trace still holds
            },
            _ => {}
        }
    }
    let in_flight: std::collections::BTreeSet<u64> =
        c.network().in_flight().map(|m| m.id).collect();
    match open.keys().find(|id| !in_flight.contains(id)) {
        Some(id) => Err(format!("trace: message {id} never delivered nor dropped")),
        None => Ok(()),
    }
}
