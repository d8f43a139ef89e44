//! The simulated world: the members, the virtual clock, the queue of client
//! requests and the Raft log they share. It knows members and time, never
//! JSON or HTTP.
//!
//! For now every member commits through one shared log at once (a perfect
//! network, member 0 the leader); the Raft of a later issue replaces that
//! seam. Time is virtual: lease expiry and watch progress notifications are
//! timers that fire when the clock reaches them.

mod rng;

use crate::errors::EtcdError;
use crate::pb::{LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseRevokeRequest, WatchRequest, WatchResponse};
use crate::server::watch::HeaderInfo;
use crate::server::{EtcdServer, InternalRaftRequest, Path, Reply, Request};
use std::collections::{BTreeMap, VecDeque};

pub use rng::Rng;

/// Names one client request or stream from submit to its end.
pub type Ticket = u64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    pub members: usize,
    pub seed: u64,
    /// Watch progress notification interval (ms); 0 disables it.
    pub watch_progress_notify_interval_ms: u64,
}

/// Largest message the gRPC server accepts: `--max-request-bytes` + 512 KiB.
pub const MAX_RECV_BYTES: usize = crate::server::MAX_REQUEST_BYTES + 512 * 1024;

/// What the cluster answers, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The answer to a unary request.
    Reply(Ticket, Reply),
    /// A message on a watch stream.
    Watch(Ticket, WatchResponse),
    /// A keep-alive answer on a keep-alive stream.
    KeepAlive(Ticket, Result<LeaseKeepAliveResponse, EtcdError>),
    /// A stream is over (a keep-alive stream whose requests ended).
    StreamEnd(Ticket),
}

/// Work handed to the cluster, handled in order.
enum Input {
    Unary { member: usize, ticket: Ticket, request: Request },
    WatchOpen { member: usize, ticket: Ticket },
    Watch { member: usize, ticket: Ticket, request: WatchRequest },
    WatchClose { member: usize, ticket: Ticket },
    KeepAlive { member: usize, ticket: Ticket, request: LeaseKeepAliveRequest },
    KeepAliveEnd { ticket: Ticket },
}

/// A cluster of etcd members.
pub struct Cluster {
    cluster_id: u64,
    term: u64,
    leader: usize,
    members: Vec<EtcdServer>,
    /// Entries committed so far; entry i has Raft index `first_index + i`.
    log: Vec<InternalRaftRequest>,
    first_index: u64,
    now: u64,
    progress_interval: u64,
    inbox: VecDeque<Input>,
    /// Proposal id -> the client waiting for it.
    waiting: BTreeMap<u64, (usize, Ticket)>,
    outcomes: Vec<Outcome>,
}

impl Cluster {
    pub fn new(config: &ClusterConfig) -> Self {
        let mut rng = Rng::new(config.seed).derive("ids");
        let cluster_id = rng.next_u64();
        // stands for the wall clock etcd's id generators start from
        let start_ms = rng.next_u64() >> 24;
        let n = config.members.clamp(1, 7);
        // bootstrap entries: one conf change per member, then the leader's empty entry
        let first_index = n as u64 + 2;
        let members =
            (0..n).map(|i| EtcdServer::new(rng.next_u64(), first_index - 1, start_ms, i == 0)).collect();
        Cluster {
            cluster_id,
            // etcd's first election makes term 2 (term 1 holds the bootstrap entries)
            term: 2,
            leader: 0,
            members,
            log: Vec::new(),
            first_index,
            now: 0,
            progress_interval: config.watch_progress_notify_interval_ms,
            inbox: VecDeque::new(),
            waiting: BTreeMap::new(),
            outcomes: Vec::new(),
        }
    }

    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    pub fn member(&self, i: usize) -> Option<&EtcdServer> {
        self.members.get(i)
    }

    pub fn leader(&self) -> usize {
        self.leader
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    /// The Raft index of the last committed entry.
    pub fn commit_index(&self) -> u64 {
        self.first_index + self.log.len() as u64 - 1
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    fn header(&self, member: usize) -> HeaderInfo {
        HeaderInfo {
            cluster_id: self.cluster_id,
            member_id: self.members.get(member).map_or(0, |m| m.id),
            raft_term: self.term,
        }
    }

    /// Hands a unary request to `member`; its answer comes out of
    /// [`Cluster::drain`].
    pub fn submit(&mut self, member: usize, ticket: Ticket, request: Request) {
        self.inbox.push_back(Input::Unary { member, ticket, request });
    }

    /// A client opens a watch stream on `member`.
    pub fn watch_open(&mut self, member: usize, ticket: Ticket) {
        self.inbox.push_back(Input::WatchOpen { member, ticket });
    }

    /// One request message on an open watch stream.
    pub fn watch(&mut self, member: usize, ticket: Ticket, request: WatchRequest) {
        self.inbox.push_back(Input::Watch { member, ticket, request });
    }

    /// The watch stream's client went away: its watchers are freed.
    pub fn watch_close(&mut self, member: usize, ticket: Ticket) {
        self.inbox.push_back(Input::WatchClose { member, ticket });
    }

    /// One keep-alive request on a keep-alive stream.
    pub fn keep_alive(&mut self, member: usize, ticket: Ticket, request: LeaseKeepAliveRequest) {
        self.inbox.push_back(Input::KeepAlive { member, ticket, request });
    }

    /// The keep-alive stream's requests ended: the answer stream ends after
    /// the answers already owed.
    pub fn keep_alive_end(&mut self, ticket: Ticket) {
        self.inbox.push_back(Input::KeepAliveEnd { ticket });
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        if !self.inbox.is_empty() {
            return Some(self.now);
        }
        self.next_timer()
    }

    fn next_timer(&self) -> Option<u64> {
        let expiry = self.members.get(self.leader).and_then(|m| m.next_lease_expiry());
        let progress = self.members.iter().filter_map(|m| m.next_progress(self.progress_interval)).min();
        [expiry, progress].into_iter().flatten().min()
    }

    /// Runs the world up to virtual time `ms`: every timer due by then
    /// fires at its own time, in order.
    pub fn advance_to(&mut self, ms: u64) {
        loop {
            self.run_until_idle();
            match self.next_timer() {
                Some(t) if t <= ms => {
                    self.now = self.now.max(t);
                    self.fire_timers();
                }
                _ => break,
            }
        }
        self.now = self.now.max(ms);
    }

    /// Runs until every request that can be answered now has been answered.
    pub fn run_until_idle(&mut self) {
        while let Some(input) = self.inbox.pop_front() {
            self.handle(input);
            self.collect_watch_messages();
        }
    }

    /// Answers produced so far, in order.
    pub fn drain(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.outcomes)
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        // the leader's lessor finds expired leases and proposes their
        // revocation, as etcd's leader does
        let expired = self.members.get(self.leader).map(|m| m.expired_leases(now)).unwrap_or_default();
        for id in expired {
            let leader = self.leader;
            if let Some(m) = self.members.get_mut(leader) {
                if let Ok(p) = m.new_proposal(Request::LeaseRevoke(LeaseRevokeRequest { id })) {
                    self.commit(p);
                }
            }
        }
        let interval = self.progress_interval;
        for i in 0..self.members.len() {
            let hdr = self.header(i);
            if let Some(m) = self.members.get_mut(i) {
                if m.next_progress(interval).is_some_and(|t| t <= now) {
                    m.progress(now, interval, hdr);
                }
            }
        }
        self.collect_watch_messages();
    }

    fn collect_watch_messages(&mut self) {
        for m in &mut self.members {
            for (ticket, resp) in m.take_watch_messages() {
                self.outcomes.push(Outcome::Watch(ticket, resp));
            }
        }
    }

    fn handle(&mut self, input: Input) {
        let now = self.now;
        match input {
            Input::Unary { member, ticket, request } => self.handle_unary(member, ticket, request),
            Input::WatchOpen { member, ticket } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.open_watch_stream(ticket, now);
                }
            }
            Input::Watch { member, ticket, request } => {
                let hdr = self.header(member);
                if let Some(m) = self.members.get_mut(member) {
                    m.watch(ticket, request, hdr);
                }
            }
            Input::WatchClose { member, ticket } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.close_watch_stream(ticket);
                }
            }
            Input::KeepAlive { member, ticket, request } => {
                // a follower forwards keep-alives to the leader
                let leader = self.leader;
                let answer = match self.members.get_mut(leader) {
                    Some(l) => l.renew(&request, now),
                    None => Err(EtcdError::NoLeader),
                };
                let hdr = self.header(member);
                let rev = self.members.get(member).map_or(0, |m| m.kv().current_revision());
                let answer = answer.map(|mut r| {
                    r.header = Some(crate::pb::ResponseHeader {
                        cluster_id: hdr.cluster_id,
                        member_id: hdr.member_id,
                        revision: rev,
                        raft_term: hdr.raft_term,
                    });
                    r
                });
                self.outcomes.push(Outcome::KeepAlive(ticket, answer));
            }
            Input::KeepAliveEnd { ticket } => self.outcomes.push(Outcome::StreamEnd(ticket)),
        }
    }

    fn handle_unary(&mut self, member: usize, ticket: Ticket, request: Request) {
        let now = self.now;
        let Some(m) = self.members.get(member) else {
            return self.outcomes.push(Outcome::Reply(ticket, Err(EtcdError::Stopped)));
        };
        let path = match m.route(&request) {
            Ok(p) => p,
            Err(e) => return self.outcomes.push(Outcome::Reply(ticket, Err(e))),
        };
        match path {
            // with a perfect network every member has applied all committed
            // entries, so a ReadIndex round is immediate
            Path::LocalRead | Path::LinearizableRead => {
                let reply = m.read(&request, now);
                self.reply(member, ticket, reply);
            }
            Path::Leader => {
                let reply = match self.members.get(self.leader) {
                    Some(l) => l.read(&request, now),
                    None => Err(EtcdError::NoLeader),
                };
                self.reply(member, ticket, reply);
            }
            Path::Propose => {
                let Some(m) = self.members.get_mut(member) else { return };
                match m.new_proposal(request) {
                    Ok(p) => {
                        self.waiting.insert(p.id, (member, ticket));
                        self.commit(p);
                    }
                    Err(e) => self.outcomes.push(Outcome::Reply(ticket, Err(e))),
                }
            }
        }
    }

    /// Appends a committed entry and has every member apply it.
    fn commit(&mut self, entry: InternalRaftRequest) {
        let index = self.commit_index() + 1;
        let now = self.now;
        let waiter = self.waiting.remove(&entry.id);
        let mut answer = None;
        for i in 0..self.members.len() {
            let hdr = self.header(i);
            if let Some(m) = self.members.get_mut(i) {
                let reply = m.apply(index, &entry, now, hdr);
                if matches!(waiter, Some((w, _)) if w == i) {
                    answer = Some(reply);
                }
            }
        }
        self.log.push(entry);
        if let (Some((member, ticket)), Some(reply)) = (waiter, answer) {
            self.reply(member, ticket, reply);
        }
    }

    fn reply(&mut self, member: usize, ticket: Ticket, reply: Reply) {
        let hdr = self.header(member);
        let reply = reply.map(|mut r| {
            if let Some(m) = self.members.get(member) {
                m.fill_header(&mut r, hdr);
            }
            r
        });
        self.outcomes.push(Outcome::Reply(ticket, reply));
    }
}
