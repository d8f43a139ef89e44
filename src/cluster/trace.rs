//! The event trace: what happened in the world, in order, as data for
//! visualisation and teaching (who sent which message to whom and what
//! became of it, elections, commits, applies, faults). Members are named by
//! their index in the world, never by Raft id, so a view can draw them.
//! Bounded: old events fall off the front. `docs/trace.md` describes every
//! event as `/_sim/trace` writes it.

use super::network::Link;
use super::Ticket;
use crate::raft::{ConfChangeType, Event, Message, MessageType, Payload};
use crate::server::RaftEntry;
use std::collections::VecDeque;

/// One thing that happened, at virtual time `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Position in the whole run (also after old events fell off).
    pub seq: u64,
    pub at: u64,
    pub kind: TraceKind,
}

/// What a message event says of its message: enough to follow it from its
/// `Send` to its `Deliver` or `Drop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The network's number for the message, unique in the run.
    pub id: u64,
    pub from: usize,
    pub to: usize,
    pub msg_type: MessageType,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A Raft message left `from` for `to`, with the fields a view of
    /// Raft shows (etcd's `raftpb.Message` names).
    Send {
        envelope: Envelope,
        term: u64,
        log_term: u64,
        index: u64,
        commit: u64,
        entries: usize,
        reject: bool,
    },
    /// The message reached `to`, which stepped it.
    Deliver(Envelope),
    /// The message never reached `to`.
    Drop(Envelope, DropReason),
    /// A Raft transition on `member` (became leader, voted, committed...),
    /// the other members it names as indices (`None`: nobody, or a node
    /// without a process in this world).
    Raft {
        member: usize,
        event: Event<Option<usize>>,
    },
    /// `member` applied the entry at `index`; `revision` is the MVCC
    /// revision it produced, if it changed the store.
    Apply {
        member: usize,
        index: u64,
        term: u64,
        entry: EntryKind,
        revision: Option<i64>,
    },
    /// `member`'s server replaced its state with a snapshot's.
    ApplySnapshot {
        member: usize,
        index: u64,
        term: u64,
    },
    /// `member` took a snapshot of its state at `index` and compacted its
    /// Raft log up to it (etcd's `--snapshot-count`).
    Snapshot { member: usize, index: u64 },
    /// A client request reached `member` (`request` in etcd's
    /// `InternalRaftRequest` words: `put`, `range`, ...).
    Request {
        member: usize,
        request: &'static str,
        ticket: Ticket,
    },
    /// A fault or control action.
    Control(Control),
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The link lost it (its configured loss rate).
    Loss,
    /// A partition or one-way block cut the link, when it was sent or
    /// while it was in flight.
    Blocked,
    /// It arrived at a member that is down.
    Down,
    /// It was in flight to or from a member that crashed.
    Crash,
    /// It was in flight to or from a member that was removed and stopped.
    Removed,
}

/// What a Raft log entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// The entry a new leader appends (Raft paper 8).
    Empty,
    /// A request, by its `InternalRaftRequest` name (`put`, `txn`,
    /// `lease_revoke`, `auth_user_add`, `member_attr_set`...).
    Request(&'static str),
    /// A membership change of the node `node_id` (`node` its index).
    ConfChange {
        change: ConfChangeType,
        node: Option<usize>,
        node_id: u64,
    },
}

/// A fault or control action, with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// The cluster was bootstrapped with this many members.
    Started {
        members: usize,
    },
    Crash {
        member: usize,
    },
    Restart {
        member: usize,
    },
    /// No message crosses between groups (members not named form one more).
    Partition {
        groups: Vec<Vec<usize>>,
    },
    /// `from` can no longer send to `to`.
    Block {
        from: usize,
        to: usize,
    },
    Heal,
    /// One directed link's settings, or every link's (`pair` None).
    Link {
        pair: Option<(usize, usize)>,
        link: Link,
    },
    /// The leader was asked to hand over to `to`.
    Transfer {
        to: usize,
    },
    AddMember {
        member: usize,
        learner: bool,
    },
    RemoveMember {
        member: usize,
    },
    /// A new member's process started (empty, to catch up).
    StartMember {
        member: usize,
    },
    Pause,
    Resume,
}

impl TraceKind {
    /// A message on its way, described from the message itself.
    pub fn send<D, S>(id: u64, from: usize, to: usize, m: &Message<D, S>) -> Self {
        TraceKind::Send {
            envelope: Envelope {
                id,
                from,
                to,
                msg_type: m.msg_type,
            },
            term: m.term,
            log_term: m.log_term,
            index: m.index,
            commit: m.commit,
            entries: m.entries.len(),
            reject: m.reject,
        }
    }

    /// The event's kind as `/_sim/trace` names it.
    pub fn name(&self) -> &'static str {
        match self {
            TraceKind::Send { .. } => "send",
            TraceKind::Deliver(_) => "deliver",
            TraceKind::Drop(..) => "drop",
            TraceKind::Raft { event, .. } => raft_event_name(event),
            TraceKind::Apply { .. } => "apply",
            TraceKind::ApplySnapshot { .. } => "apply_snapshot",
            TraceKind::Snapshot { .. } => "snapshot",
            TraceKind::Request { .. } => "request",
            TraceKind::Control(c) => c.name(),
        }
    }

    fn is_message(&self) -> bool {
        matches!(
            self,
            TraceKind::Send { .. } | TraceKind::Deliver(_) | TraceKind::Drop(..)
        )
    }
}

fn raft_event_name<N>(event: &Event<N>) -> &'static str {
    match event {
        Event::BecameFollower { .. } => "became_follower",
        Event::BecamePreCandidate { .. } => "became_pre_candidate",
        Event::BecameCandidate { .. } => "became_candidate",
        Event::BecameLeader { .. } => "became_leader",
        Event::Voted { .. } => "vote",
        Event::VoteIgnoredInLease { .. } => "vote_ignored",
        Event::Committed { .. } => "commit",
        Event::ConfChangeRefused { .. } => "conf_change_refused",
        Event::SnapshotRestored { .. } => "snapshot_restored",
        Event::LeaderTransferStarted { .. } => "transfer_started",
        Event::LeaderTransferAborted { .. } => "transfer_aborted",
        Event::CheckQuorumFailed { .. } => "check_quorum_failed",
    }
}

impl DropReason {
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Blocked => "blocked",
            DropReason::Down => "down",
            DropReason::Crash => "crash",
            DropReason::Removed => "removed",
        }
    }
}

impl EntryKind {
    /// What `e` carries; `node_of` gives the index of a Raft id.
    pub fn of(e: &RaftEntry, node_of: impl FnOnce(u64) -> Option<usize>) -> Self {
        match &e.payload {
            Payload::Empty => EntryKind::Empty,
            Payload::Normal(r) => EntryKind::Request(r.request.name()),
            Payload::ConfChange(cc) => EntryKind::ConfChange {
                change: cc.change_type,
                node: node_of(cc.node_id),
                node_id: cc.node_id,
            },
        }
    }

    /// `empty`, the request's name, or `conf_change`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Empty => "empty",
            EntryKind::Request(name) => name,
            EntryKind::ConfChange { .. } => "conf_change",
        }
    }
}

impl Control {
    pub fn name(&self) -> &'static str {
        match self {
            Control::Started { .. } => "cluster_started",
            Control::Crash { .. } => "crash",
            Control::Restart { .. } => "restart",
            Control::Partition { .. } => "partition",
            Control::Block { .. } => "block",
            Control::Heal => "heal",
            Control::Link { .. } => "link",
            Control::Transfer { .. } => "transfer",
            Control::AddMember { .. } => "add_member",
            Control::RemoveMember { .. } => "remove_member",
            Control::StartMember { .. } => "start_member",
            Control::Pause => "pause",
            Control::Resume => "resume",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Trace {
    events: VecDeque<TraceEvent>,
    next_seq: u64,
    capacity: usize,
    /// Message sends, deliveries and drops are many: record them only when
    /// asked.
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
        if !self.messages && kind.is_message() {
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

/// The trace ring as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Control, DropReason, EntryKind, Envelope, Trace, TraceEvent, TraceKind};
    use crate::checkpoint::{record, variants};

    record!(TraceEvent { seq, at, kind });
    record!(Envelope {
        id,
        from,
        to,
        msg_type
    });
    variants!(TraceKind {
        Send {
            envelope,
            term,
            log_term,
            index,
            commit,
            entries,
            reject
        },
        Deliver(envelope),
        Drop(envelope, reason),
        Raft { member, event },
        Apply {
            member,
            index,
            term,
            entry,
            revision
        },
        ApplySnapshot {
            member,
            index,
            term
        },
        Snapshot { member, index },
        Request {
            member,
            request: request_name,
            ticket
        },
        Control(control),
    });
    variants!(DropReason {
        Loss,
        Blocked,
        Down,
        Crash,
        Removed
    });
    variants!(EntryKind {
        Empty,
        Request(name: request_name),
        ConfChange {
            change,
            node,
            node_id
        },
    });
    variants!(Control {
        Started { members },
        Crash { member },
        Restart { member },
        Partition { groups },
        Block { from, to },
        Heal,
        Link { pair, link },
        Transfer { to },
        AddMember { member, learner },
        RemoveMember { member },
        StartMember { member },
        Pause,
        Resume,
    });
    record!(Trace {
        events,
        next_seq,
        capacity,
        messages
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_events_fall_off_but_keep_their_numbers() {
        let mut t = Trace::new(2);
        for member in 0..3 {
            t.push(member as u64, TraceKind::Control(Control::Crash { member }));
        }
        let seqs: Vec<u64> = t.since(0).map(|e| e.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
        assert_eq!(t.since(2).count(), 1);
    }

    #[test]
    fn without_messages_only_message_events_are_left_out() {
        let mut t = Trace::new(10);
        t.messages = false;
        let envelope = Envelope {
            id: 1,
            from: 0,
            to: 1,
            msg_type: MessageType::App,
        };
        t.push(0, TraceKind::Deliver(envelope));
        t.push(0, TraceKind::Drop(envelope, DropReason::Loss));
        t.push(0, TraceKind::Control(Control::Heal));
        let kinds: Vec<&str> = t.since(0).map(|e| e.kind.name()).collect();
        assert_eq!(kinds, ["heal"]);
    }
}
