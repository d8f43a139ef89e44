//! The event trace: what happened in the world, in order, for
//! visualisation and teaching (who sent what to whom, elections, commits,
//! applies, faults). Bounded: old events fall off the front.

use std::collections::VecDeque;

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

#[cfg(test)]
mod tests {
    use super::*;

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
