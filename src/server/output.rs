//! What a server hands its world, in the order it produced it (see
//! [`EtcdServer::drain`](super::EtcdServer::drain)): Raft messages for its
//! peers, answers to its clients, requests for the leader, and what
//! happened, as data for the world's trace.

use super::v3client::{ServiceEvent, ServiceReply};
use super::wait::Forward;
use super::{RaftEntry, RaftMessage, Reply, Ticket};
use crate::errors::EtcdError;
use crate::membership::{ConfChange, ConfChangeContext};
use crate::pb::{LeaderResponse, LeaseKeepAliveResponse, SnapshotResponse, WatchResponse};
use crate::raft;

/// What goes back to the member's clients, each for its ticket.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The answer to a unary request.
    Reply(Ticket, Reply),
    /// A message on a watch stream.
    Watch(Ticket, WatchResponse),
    /// A keep-alive answer on a keep-alive stream.
    KeepAlive(Ticket, Result<LeaseKeepAliveResponse, EtcdError>),
    /// A message of the snapshot stream, or the error that ends it.
    Snapshot(Ticket, Result<SnapshotResponse, EtcdError>),
    /// The answer to a lock or election call.
    Service(Ticket, ServiceReply),
    /// A message of an election's Observe stream.
    Observe(Ticket, LeaderResponse),
    /// A stream is over (a keep-alive stream whose requests ended, a
    /// finished snapshot).
    StreamEnd(Ticket),
    /// The client's connection is gone (the member stopped, or was down
    /// when the client came).
    Refused(Ticket),
}

#[derive(Clone, Debug)]
pub enum Output {
    /// A Raft message for the peer `msg.to`.
    Message(Box<RaftMessage>),
    /// Something for a client.
    Answer(Answer),
    /// A request for the leader `to` (its answer comes back through
    /// [`EtcdServer::forwarded`](super::EtcdServer::forwarded)).
    Forward {
        to: u64,
        forward: Forward,
    },
    /// Removed from the cluster, the member stopped.
    Stopped,
    /// The member has known no leader for `maxNoLeaderCnt` election
    /// timeouts: etcd ends its streams opened with `hasleader`.
    NoLeader,
    Event(Event),
}

/// The leader's answer to a forwarded request.
#[derive(Clone, Debug)]
pub enum Forwarded {
    Reply(Ticket, Reply),
    KeepAlive(Ticket, Result<LeaseKeepAliveResponse, EtcdError>),
    End(Ticket),
    /// The leader's verdict on a membership change (etcd's strict
    /// reconfiguration checks): the change to propose, or why not.
    MemberChange(Ticket, Result<ConfChange, EtcdError>),
}

/// Something that happened on the member, for the world's trace and its
/// safety audit. Other members are named by their Raft ids (the world
/// knows which member has which).
#[derive(Clone, Debug)]
pub enum Event {
    /// A client request reached the member: its name (etcd's
    /// `InternalRaftRequest` words) and the client's ticket.
    Request {
        name: &'static str,
        ticket: Ticket,
    },
    Raft(raft::Event),
    /// An entry applied for the first time: its index and what identifies
    /// its content ([`entry_digest`]), for the safety audit.
    Applied {
        index: u64,
        digest: u64,
    },
    /// The member applied the entry at `index`; `revision` is the MVCC
    /// revision it produced, if it changed the store.
    Apply {
        index: u64,
        term: u64,
        entry: EntryKind,
        revision: Option<i64>,
    },
    /// The leader's snapshot replaced the member's state.
    ApplySnapshot {
        index: u64,
        term: u64,
    },
    /// The member snapshotted its state and compacted its log up to `index`.
    Compacted {
        index: u64,
    },
}

/// What an applied Raft log entry carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// The entry a new leader appends (Raft paper 8).
    Empty,
    /// A request, by its `InternalRaftRequest` name.
    Request(&'static str),
    /// A membership change of the node `node_id`.
    ConfChange {
        change: raft::ConfChangeType,
        node_id: u64,
    },
}

impl EntryKind {
    pub fn of(e: &RaftEntry) -> Self {
        match &e.payload {
            raft::Payload::Empty => EntryKind::Empty,
            raft::Payload::Normal(r) => EntryKind::Request(r.request.name()),
            raft::Payload::ConfChange(cc) => EntryKind::ConfChange {
                change: cc.change_type,
                node_id: cc.node_id,
            },
        }
    }
}

/// What identifies an entry's content: the request id it carries (0 for a
/// leader's empty entry).
pub fn entry_digest(e: &RaftEntry) -> u64 {
    match &e.payload {
        raft::Payload::Empty => 0,
        raft::Payload::Normal(r) => r.id,
        raft::Payload::ConfChange(cc) => {
            ConfChangeContext::decode(&cc.context).map_or(cc.node_id, |c| c.request_id ^ cc.node_id)
        }
    }
}

impl super::EtcdServer {
    /// Everything produced since the last call, in order. The world sends
    /// the messages, answers the clients, delivers the forwards (whose
    /// answers come back through `forwarded`) and records the events.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// Watch messages produced since the last call, for the clients'
    /// watch streams (those of lock and election calls go back to them).
    pub fn watch_messages(&mut self) -> Vec<(Ticket, WatchResponse)> {
        let messages = self.take_watch_messages();
        self.route_watch_messages(messages)
    }

    /// Hands `out` to the world.
    pub(super) fn push(&mut self, out: Output) {
        self.out.push(out);
    }

    /// Hands answer `a` to its client; an answer to a lock or election
    /// call's request goes back to the call instead. An answer ends its
    /// request's timeout.
    pub(super) fn answer(&mut self, a: Answer) {
        if let Answer::Reply(ticket, _) | Answer::KeepAlive(ticket, _) = &a {
            self.w.answered(*ticket);
        }
        self.hand_over(a);
    }

    /// As `answer`, for the answer of a request whose timeout has fired.
    pub(super) fn hand_over(&mut self, a: Answer) {
        match a {
            Answer::Reply(ticket, reply) if self.is_service(ticket) => {
                let back = (ticket, ServiceEvent::Reply(reply));
                self.service_events.push(back);
            }
            a => self.out.push(Output::Answer(a)),
        }
    }

    /// The process ends: the tickets of the clients waiting here, whose
    /// connections are gone (a lock or election call whose client needs
    /// nothing more has none). Lock and election calls are forgotten.
    pub(super) fn take_clients(&mut self) -> Vec<Ticket> {
        let mut tickets = self.w.take_waiting();
        tickets.retain(|t| !self.is_gone_service(*t));
        self.services.clear();
        self.service_events.clear();
        tickets
    }

    pub(super) fn event(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }

    /// Answers a unary request, its header filled by this member.
    pub(super) fn reply(&mut self, ticket: Ticket, reply: Reply) {
        let hdr = self.header();
        let reply = reply.map(|mut r| {
            self.fill_header(&mut r, hdr);
            r
        });
        self.answer(Answer::Reply(ticket, reply));
    }
}

/// Answers as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Answer, EntryKind, Event, Output};
    use crate::checkpoint::variants;

    // (the cluster takes a member's outputs after each thing it does, so
    // they are rarely there at a checkpoint; written whole all the same)
    variants!(Output {
        Stopped,
        Message(message),
        Answer(answer),
        Forward { to, forward },
        NoLeader,
        Event(event),
    });
    variants!(Event {
        Request {
            name: request_name,
            ticket
        },
        Raft(event),
        Applied { index, digest },
        Apply {
            index,
            term,
            entry,
            revision
        },
        ApplySnapshot { index, term },
        Compacted { index },
    });
    variants!(EntryKind {
        Empty,
        Request(name: request_name),
        ConfChange { change, node_id },
    });

    #[cfg(test)]
    #[test]
    fn a_members_outputs_read_back_with_the_servers_names() {
        use crate::checkpoint::{from_bytes, to_bytes};
        let out = vec![
            Output::Event(Event::Request {
                name: "put",
                ticket: 3,
            }),
            Output::Event(Event::Apply {
                index: 4,
                term: 2,
                entry: EntryKind::Request("member_attr_set"),
                revision: Some(7),
            }),
            Output::Answer(Answer::Refused(9)),
            Output::NoLeader,
        ];
        let bytes = to_bytes(&out);
        let back: Vec<Output> = from_bytes(&bytes).expect("reads back");
        assert_eq!(format!("{back:?}"), format!("{out:?}"));
        // a name the server does not have is not a state
        let bad = Output::Event(Event::Request {
            name: "fly",
            ticket: 3,
        });
        assert!(from_bytes::<Output>(&to_bytes(&bad)).is_err());
    }

    variants!(Answer {
        Reply(ticket, reply),
        Watch(ticket, response),
        KeepAlive(ticket, response),
        Snapshot(ticket, response),
        Service(ticket, reply),
        Observe(ticket, response),
        StreamEnd(ticket),
        Refused(ticket),
    });
}
