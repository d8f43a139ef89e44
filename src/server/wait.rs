//! What a member's clients wait for (etcd's `wait.Wait` and the channels
//! its request paths block on): proposals until applied, reads until their
//! read index is applied, requests until their token's index is applied or
//! until a leader can answer them, leadership transfers until done. All of
//! it lives in memory: a crash loses it.

use super::config::REQUEST_TIMEOUT_MS;
use super::{InternalRaftRequest, Reply, Request, Ticket};
use crate::boxed_map::BoxedMap;
use crate::pb::{AuthenticateRequest, LeaseKeepAliveRequest};
use std::collections::BTreeMap;

/// A linearizable read waiting for its read index, then for the member to
/// apply up to it.
#[derive(Clone, Debug)]
pub struct PendingRead {
    pub ticket: u64,
    pub request: Request,
    /// The client's token, looked at once the read can be served (etcd's
    /// `doSerialize` after `linearizableReadNotify`).
    pub token: Option<String>,
    pub index: Option<u64>,
}

/// The client requests waiting on one member.
#[derive(Clone, Debug)]
pub struct Waits {
    /// Proposals waiting to be applied here: request id -> ticket.
    pub proposals: BoxedMap<u64, u64>,
    /// Authentications among them: the client's request and the auth
    /// revision its password was checked at (etcd's Authenticate loop).
    pub authentications: BoxedMap<u64, (AuthenticateRequest, u64)>,
    /// Proposals not yet handed to Raft: etcd's `Propose` blocks while the
    /// member knows no leader (they are also in `proposals`).
    pub held: Vec<InternalRaftRequest>,
    /// What the leader answers (lease time-to-live, keep-alives), waiting
    /// for a leader this member can reach, in order.
    pub forwards: Vec<Forward>,
    /// Linearizable reads by read-index context.
    pub reads: BoxedMap<u64, PendingRead>,
    /// Requests waiting until their token's index is applied here.
    pub token_waits: Vec<TokenWait>,
    pub next_read_ctx: u64,
    /// Leadership transfers waiting: (ticket, target id).
    pub transfers: Vec<(u64, u64)>,
    /// Request timeouts: (time, ticket), in time order (each is etcd's
    /// request timeout after the moment it was set, and time only moves
    /// forward), so a Vec kept in insertion order.
    pub deadlines: Vec<(u64, Ticket)>,
    /// Answers due later, in time order likewise: (time, ticket, answer).
    pub deferred: Vec<(u64, Ticket, Reply)>,
}

/// A request whose token names a Raft index this member has not applied
/// yet: etcd's simple token provider waits for it (`isValidSimpleToken`).
#[derive(Clone, Debug)]
pub struct TokenWait {
    pub ticket: u64,
    pub index: u64,
    pub request: Request,
    pub token: Option<String>,
}

/// A request a follower hands to the leader.
#[derive(Clone, Debug)]
pub enum Forward {
    Request(u64, Request),
    KeepAlive(u64, LeaseKeepAliveRequest),
    /// The keep-alive stream's requests ended (after those before it).
    End(u64),
    /// A membership change, for the leader's checks (never waits).
    MemberChange(u64, Request),
}

impl Forward {
    pub fn ticket(&self) -> u64 {
        match self {
            Forward::Request(t, _)
            | Forward::KeepAlive(t, _)
            | Forward::End(t)
            | Forward::MemberChange(t, _) => *t,
        }
    }
}

/// What a request that timed out was waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// A proposal Raft never took (no leader all along).
    Held,
    /// A proposal Raft took but that was not applied in time.
    Proposal,
    /// A request the leader answers, still without a reachable leader.
    Forward,
    /// A keep-alive, likewise.
    KeepAlive,
    /// A linearizable read or a leadership transfer.
    Other,
}

impl Waits {
    pub fn new() -> Self {
        Waits {
            proposals: BTreeMap::new(),
            authentications: BTreeMap::new(),
            held: Vec::new(),
            forwards: Vec::new(),
            reads: BTreeMap::new(),
            token_waits: Vec::new(),
            next_read_ctx: 1,
            transfers: Vec::new(),
            deadlines: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// `ticket` times out etcd's request timeout after `now`.
    pub fn add_deadline(&mut self, now: u64, ticket: Ticket) {
        self.deadlines.push((now + REQUEST_TIMEOUT_MS, ticket));
    }

    /// Drops the request timeout of `ticket` (answered before it).
    pub fn forget_deadline(&mut self, ticket: Ticket) {
        self.deadlines.retain(|d| d.1 != ticket);
    }

    /// A request of `ticket` was answered: its request timeout, the
    /// earliest of that ticket's, is dropped. (One ticket can name several
    /// requests in turn: a lock or election call's. A timeout left behind
    /// would end the next one early.)
    pub fn answered(&mut self, ticket: Ticket) {
        if let Some(at) = self.deadlines.iter().position(|d| d.1 == ticket) {
            self.deadlines.remove(at);
        }
    }

    /// Answers `reply` after etcd's request timeout (a request that never
    /// completes, as in etcd).
    pub fn defer(&mut self, now: u64, ticket: Ticket, reply: Reply) {
        self.deferred
            .push((now + REQUEST_TIMEOUT_MS, ticket, reply));
    }

    /// When the next request timeout or deferred answer is due.
    pub fn next_due(&self) -> Option<u64> {
        let deadline = self.deadlines.first().map(|d| d.0);
        let deferred = self.deferred.first().map(|d| d.0);
        deadline.into_iter().chain(deferred).min()
    }

    /// The request timeouts due at `now`, forgotten.
    pub fn due_deadlines(&mut self, now: u64) -> Vec<(u64, Ticket)> {
        let due = self.deadlines.partition_point(|d| d.0 <= now);
        self.deadlines.drain(..due).collect()
    }

    /// The answers due at `now`, forgotten.
    pub fn due_answers(&mut self, now: u64) -> Vec<(u64, Ticket, Reply)> {
        let due = self.deferred.partition_point(|d| d.0 <= now);
        self.deferred.drain(..due).collect()
    }

    /// Whether some client request waits here.
    pub fn has_waiting(&self) -> bool {
        !self.proposals.is_empty()
            || !self.reads.is_empty()
            || !self.token_waits.is_empty()
            || !self.transfers.is_empty()
            || !self.forwards.is_empty()
    }

    /// Tickets of every client request waiting here (answers due later
    /// are not).
    pub fn waiting(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self.proposals.values().map(|t| **t).collect();
        t.extend(self.reads.values().map(|r| r.ticket));
        t.extend(self.token_waits.iter().map(|w| w.ticket));
        t.extend(self.transfers.iter().map(|(t, _)| *t));
        t.extend(self.forwards.iter().map(Forward::ticket));
        t
    }

    /// Tickets of every client request waiting here, forgetting them (their
    /// timeouts and the answers due later stay, as they were: a timeout
    /// finds nothing left).
    pub fn take_waiting(&mut self) -> Vec<u64> {
        let t = self.waiting();
        self.proposals.clear();
        self.authentications.clear();
        self.held.clear();
        self.forwards.clear();
        self.reads.clear();
        self.token_waits.clear();
        self.transfers.clear();
        t
    }

    /// Forgets `ticket` if it waits here (it timed out), saying for what.
    pub fn forget(&mut self, ticket: u64) -> Option<Waiting> {
        if let Some(id) = self
            .proposals
            .iter()
            .find_map(|(id, t)| (**t == ticket).then_some(*id))
        {
            self.proposals.remove(&id);
            self.authentications.remove(&id);
            let before = self.held.len();
            self.held.retain(|p| p.id != id);
            return Some(if self.held.len() < before {
                Waiting::Held
            } else {
                Waiting::Proposal
            });
        }
        let at = self
            .forwards
            .iter()
            .position(|f| !matches!(f, Forward::End(_)) && f.ticket() == ticket);
        if let Some(at) = at {
            return Some(match self.forwards.remove(at) {
                Forward::KeepAlive(..) => Waiting::KeepAlive,
                _ => Waiting::Forward,
            });
        }
        let count = |n: &Waits| n.reads.len() + n.transfers.len() + n.token_waits.len();
        let before = count(self);
        self.reads.retain(|_, r| r.ticket != ticket);
        self.transfers.retain(|(t, _)| *t != ticket);
        self.token_waits.retain(|w| w.ticket != ticket);
        (before != count(self)).then_some(Waiting::Other)
    }
}

/// The waits as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Forward, PendingRead, TokenWait, Waits};
    use crate::checkpoint::{record, variants};

    record!(PendingRead {
        ticket,
        request,
        token,
        index
    });
    record!(Waits {
        proposals,
        authentications,
        held,
        forwards,
        reads,
        token_waits,
        next_read_ctx,
        transfers,
        deadlines,
        deferred,
    });
    record!(TokenWait {
        ticket,
        index,
        request,
        token
    });
    variants!(Forward {
        Request(ticket, request),
        KeepAlive(ticket, request),
        End(ticket),
        MemberChange(ticket, request),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answered_request_leaves_no_timeout_to_end_the_next_one_of_its_ticket() {
        let mut w = Waits::new();
        // a lock call's first request (ticket 4), answered at 60
        w.add_deadline(39, 4);
        w.answered(4);
        // its next request, made at 77, waits on a read index
        w.add_deadline(77, 4);
        assert_eq!(w.due_deadlines(39 + REQUEST_TIMEOUT_MS), Vec::new());
        let due = 77 + REQUEST_TIMEOUT_MS;
        assert_eq!(w.next_due(), Some(due));
        assert_eq!(w.due_deadlines(due), vec![(due, 4)]);
    }

    #[test]
    fn answers_on_one_stream_end_its_timeouts_in_order() {
        let mut w = Waits::new();
        w.add_deadline(10, 7);
        w.add_deadline(20, 7);
        w.answered(7);
        assert_eq!(w.next_due(), Some(20 + REQUEST_TIMEOUT_MS));
    }
}
