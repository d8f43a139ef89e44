//! The simulated world: the members, the virtual clock, the queue of client
//! requests and the Raft log they share. It knows members and time, never
//! JSON or HTTP.
//!
//! For now every member commits through one shared log at once (a perfect
//! network, member 0 the leader); the Raft of issue #4 replaces that seam.

mod rng;

use crate::errors::EtcdError;
use crate::server::{EtcdServer, InternalRaftRequest, Path, Reply, Request};
use std::collections::{BTreeMap, VecDeque};

pub use rng::Rng;

/// Names one client request from submit to answer.
pub type Ticket = u64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    pub members: usize,
    pub seed: u64,
}

/// Largest message the gRPC server accepts: `--max-request-bytes` + 512 KiB.
pub const MAX_RECV_BYTES: usize = crate::server::MAX_REQUEST_BYTES + 512 * 1024;

struct Submitted {
    member: usize,
    ticket: Ticket,
    request: Request,
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
    inbox: VecDeque<Submitted>,
    /// Proposal id -> the client waiting for it.
    waiting: BTreeMap<u64, (usize, Ticket)>,
    replies: Vec<(Ticket, Reply)>,
}

impl Cluster {
    pub fn new(config: &ClusterConfig) -> Self {
        let mut rng = Rng::new(config.seed).derive("ids");
        let cluster_id = rng.next_u64();
        let n = config.members.clamp(1, 7);
        // bootstrap entries: one conf change per member, then the leader's empty entry
        let first_index = n as u64 + 2;
        let members = (0..n).map(|_| EtcdServer::new(rng.next_u64(), first_index - 1)).collect();
        Cluster {
            cluster_id,
            // etcd's first election makes term 2 (term 1 holds the bootstrap entries)
            term: 2,
            leader: 0,
            members,
            log: Vec::new(),
            first_index,
            now: 0,
            inbox: VecDeque::new(),
            waiting: BTreeMap::new(),
            replies: Vec::new(),
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

    /// Hands a request to `member`; its answer comes out of [`Cluster::drain`].
    pub fn submit(&mut self, member: usize, ticket: Ticket, request: Request) {
        self.inbox.push_back(Submitted { member, ticket, request });
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        if self.inbox.is_empty() { None } else { Some(self.now) }
    }

    /// Runs the world up to virtual time `ms`.
    pub fn advance_to(&mut self, ms: u64) {
        self.run_until_idle();
        self.now = self.now.max(ms);
    }

    /// Runs until every request that can be answered has been answered.
    pub fn run_until_idle(&mut self) {
        while let Some(s) = self.inbox.pop_front() {
            self.handle(s);
        }
    }

    /// Answers produced so far, in order.
    pub fn drain(&mut self) -> Vec<(Ticket, Reply)> {
        std::mem::take(&mut self.replies)
    }

    fn handle(&mut self, s: Submitted) {
        let Some(m) = self.members.get(s.member) else {
            self.replies.push((s.ticket, Err(EtcdError::Stopped)));
            return;
        };
        let path = match m.route(&s.request) {
            Ok(p) => p,
            Err(e) => return self.replies.push((s.ticket, Err(e))),
        };
        match path {
            // with a perfect network every member has applied all committed
            // entries, so a ReadIndex round is immediate
            Path::LocalRead | Path::LinearizableRead => {
                let reply = m.read(&s.request);
                self.reply(s.member, s.ticket, reply);
            }
            Path::Propose => {
                let Some(m) = self.members.get_mut(s.member) else { return };
                match m.new_proposal(s.request) {
                    Ok(p) => {
                        self.waiting.insert(p.id, (s.member, s.ticket));
                        self.commit(p);
                    }
                    Err(e) => self.replies.push((s.ticket, Err(e))),
                }
            }
        }
    }

    /// Appends a committed entry and has every member apply it.
    fn commit(&mut self, entry: InternalRaftRequest) {
        self.log.push(entry);
        let index = self.commit_index();
        let Some(entry) = self.log.last() else { return };
        let waiter = self.waiting.remove(&entry.id);
        let mut answer = None;
        for (i, m) in self.members.iter_mut().enumerate() {
            let reply = m.apply(index, entry);
            if matches!(waiter, Some((w, _)) if w == i) {
                answer = Some(reply);
            }
        }
        if let (Some((member, ticket)), Some(reply)) = (waiter, answer) {
            self.reply(member, ticket, reply);
        }
    }

    fn reply(&mut self, member: usize, ticket: Ticket, reply: Reply) {
        let reply = reply.map(|mut r| {
            if let Some(m) = self.members.get(member) {
                m.fill_header(&mut r, self.cluster_id, self.term);
            }
            r
        });
        self.replies.push((ticket, reply));
    }
}
