//! The event trace: what happened in the world, in order, for
//! visualisation and teaching (who sent what to whom, elections, commits,
//! applies, faults). Bounded: old events fall off the front.

use crate::membership::ConfChange;
use crate::raft::Event;
use std::collections::VecDeque;
use std::fmt::{Display, Write};

/// One thing that happened, at virtual time `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Position in the whole run (also after old events fell off).
    pub seq: u64,
    pub at: u64,
    pub kind: TraceKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A Raft message left `from` for `to` (`kind` is its type's name).
    Send {
        from: usize,
        to: usize,
        kind: String,
        term: u64,
        index: u64,
        entries: usize,
    },
    Deliver {
        from: usize,
        to: usize,
        kind: String,
    },
    /// A Raft transition on `member` (became leader, voted, committed...).
    Raft { member: usize, what: String },
    /// `member` applied the entry at `index`.
    Apply {
        member: usize,
        index: u64,
        what: String,
    },
    /// A fault or control action (crash, restart, partition, heal...).
    Control { what: String },
    /// A client request reached `member`.
    Client { member: usize, what: String },
}

#[derive(Clone, Debug)]
pub struct Trace {
    events: VecDeque<TraceEvent>,
    next_seq: u64,
    capacity: usize,
    /// Message sends and deliveries are many: record them only when asked.
    pub messages: bool,
}

impl Trace {
    pub fn new(capacity: usize) -> Self {
        Trace {
            events: VecDeque::new(),
            next_seq: 0,
            capacity,
            messages: true,
        }
    }

    pub fn push(&mut self, at: u64, kind: TraceKind) {
        if !self.messages && matches!(kind, TraceKind::Send { .. } | TraceKind::Deliver { .. }) {
            return;
        }
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(TraceEvent {
            seq: self.next_seq,
            at,
            kind,
        });
        self.next_seq += 1;
    }

    /// Events with `seq >= since` still held.
    pub fn since(&self, since: u64) -> impl Iterator<Item = &TraceEvent> {
        self.events.iter().filter(move |e| e.seq >= since)
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

// The trace's texts for Raft events, conf changes and partitions are what
// `{:?}` writes for them, written out here: formatting with Debug brought
// its builders into the wasm for these three uses alone.

/// A Raft event: `BecameLeader { term: 2 }`.
pub fn raft_event(ev: &Event) -> String {
    match ev {
        Event::BecameFollower { term, leader } => {
            fields("BecameFollower", &[("term", term), ("leader", leader)])
        }
        Event::BecamePreCandidate { term } => fields("BecamePreCandidate", &[("term", term)]),
        Event::BecameCandidate { term } => fields("BecameCandidate", &[("term", term)]),
        Event::BecameLeader { term } => fields("BecameLeader", &[("term", term)]),
        Event::Voted {
            candidate,
            term,
            pre_vote,
            granted,
        } => fields(
            "Voted",
            &[
                ("candidate", candidate),
                ("term", term),
                ("pre_vote", pre_vote),
                ("granted", granted),
            ],
        ),
        Event::VoteIgnoredInLease { candidate, term } => fields(
            "VoteIgnoredInLease",
            &[("candidate", candidate), ("term", term)],
        ),
        Event::Committed { index } => fields("Committed", &[("index", index)]),
        Event::ConfChangeRefused { index } => fields("ConfChangeRefused", &[("index", index)]),
        Event::SnapshotRestored { index, term } => {
            fields("SnapshotRestored", &[("index", index), ("term", term)])
        }
        Event::LeaderTransferStarted { to } => fields("LeaderTransferStarted", &[("to", to)]),
        Event::LeaderTransferAborted { to } => fields("LeaderTransferAborted", &[("to", to)]),
        Event::CheckQuorumFailed { term } => fields("CheckQuorumFailed", &[("term", term)]),
    }
}

/// A membership change: `Remove(5)`, `Add(Member { id: 1, name: "m3", ... })`.
pub fn conf_change(cc: &ConfChange) -> String {
    match cc {
        ConfChange::Add(m) => {
            let member = fields(
                "Member",
                &[
                    ("id", &m.id),
                    ("name", &Quoted(&m.name)),
                    ("peer_urls", &list(m.peer_urls.iter().map(Quoted))),
                    ("client_urls", &list(m.client_urls.iter().map(Quoted))),
                    ("is_learner", &m.is_learner),
                ],
            );
            format!("Add({member})")
        }
        ConfChange::Remove(id) => format!("Remove({id})"),
        ConfChange::Update { id, peer_urls } => fields(
            "Update",
            &[
                ("id", id),
                ("peer_urls", &list(peer_urls.iter().map(Quoted))),
            ],
        ),
        ConfChange::Promote(id) => format!("Promote({id})"),
    }
}

/// Partition groups: `[[0], [1, 2]]`.
pub fn groups(groups: &[Vec<usize>]) -> String {
    list(groups.iter().map(|g| list(g.iter())))
}

/// `Name { a: 1, b: true }`.
fn fields(name: &str, fields: &[(&str, &dyn Display)]) -> String {
    let mut out = format!("{name} {{ ");
    for (i, (field, value)) in fields.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        let _ = write!(out, "{sep}{field}: {value}");
    }
    out.push_str(" }");
    out
}

/// `[a, b]`.
fn list<T: Display>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// A string in quotes, escaped as `{:?}` does.
struct Quoted<'a>(&'a String);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:?}", self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_what_debug_wrote() {
        let events = [
            Event::BecameFollower { term: 3, leader: 0 },
            Event::BecamePreCandidate { term: 1 },
            Event::BecameCandidate { term: 2 },
            Event::BecameLeader { term: 2 },
            Event::Voted {
                candidate: 12_345_678_901_234,
                term: 4,
                pre_vote: true,
                granted: false,
            },
            Event::VoteIgnoredInLease {
                candidate: 7,
                term: 9,
            },
            Event::Committed { index: 17 },
            Event::ConfChangeRefused { index: 18 },
            Event::SnapshotRestored {
                index: 100,
                term: 5,
            },
            Event::LeaderTransferStarted { to: u64::MAX },
            Event::LeaderTransferAborted { to: 1 },
            Event::CheckQuorumFailed { term: 6 },
        ];
        for ev in &events {
            assert_eq!(raft_event(ev), format!("{ev:?}"));
        }
        let member = crate::pb::Member {
            id: 42,
            name: "m\"3\n".into(),
            peer_urls: vec!["http://a:1".into(), "é".into()],
            client_urls: vec![],
            is_learner: true,
        };
        let changes = [
            ConfChange::Add(member),
            ConfChange::Add(crate::pb::Member::default()),
            ConfChange::Remove(5),
            ConfChange::Update {
                id: 6,
                peer_urls: vec!["http://b:2".into()],
            },
            ConfChange::Update {
                id: 6,
                peer_urls: vec![],
            },
            ConfChange::Promote(7),
        ];
        for cc in &changes {
            assert_eq!(conf_change(cc), format!("{cc:?}"));
        }
        for g in [vec![], vec![vec![]], vec![vec![0], vec![1, 2]]] {
            assert_eq!(groups(&g), format!("{g:?}"));
        }
    }

    #[test]
    fn old_events_fall_off_but_keep_their_numbers() {
        let mut t = Trace::new(2);
        for i in 0..3 {
            t.push(
                i,
                TraceKind::Control {
                    what: format!("e{i}"),
                },
            );
        }
        let seqs: Vec<u64> = t.since(0).map(|e| e.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
        assert_eq!(t.since(2).count(), 1);
    }
}
