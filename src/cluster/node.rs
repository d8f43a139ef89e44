//! One member process of the simulated world: its Raft node and its etcd
//! server, plus the client requests waiting on it. It can crash (volatile
//! state lost; the Raft storage and applied data stay) and restart.

use crate::errors::EtcdError;
use crate::raft::{self, Raft};
use crate::server::{EtcdServer, InternalRaftRequest, Request, StateSnapshot};
use std::collections::BTreeMap;

pub type RaftNode = Raft<InternalRaftRequest, StateSnapshot>;

/// A linearizable read waiting for its read index, then for the member to
/// apply up to it.
#[derive(Clone, Debug)]
pub struct PendingRead {
    pub ticket: u64,
    pub request: Request,
    pub index: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub server: EtcdServer,
    pub raft: RaftNode,
    pub raft_config: raft::Config,
    pub crashed: bool,
    /// Removed from the cluster: stopped for good.
    pub removed: bool,
    /// Whether this member has published its name and client URLs.
    pub published: bool,
    /// Proposals waiting to be applied here: request id -> ticket.
    pub proposals: BTreeMap<u64, u64>,
    /// Linearizable reads by read-index context.
    pub reads: BTreeMap<u64, PendingRead>,
    pub next_read_ctx: u64,
    /// Leadership transfers waiting: (ticket, target id).
    pub transfers: Vec<(u64, u64)>,
    /// The last leader this member knew (etcd tells waiting reads when a
    /// different one appears).
    pub last_leader: u64,
}

impl Node {
    pub fn new(server: EtcdServer, raft: RaftNode, raft_config: raft::Config) -> Self {
        Node {
            server,
            raft,
            raft_config,
            crashed: false,
            removed: false,
            published: false,
            proposals: BTreeMap::new(),
            reads: BTreeMap::new(),
            next_read_ctx: 1,
            transfers: Vec::new(),
            last_leader: 0,
        }
    }

    pub fn id(&self) -> u64 {
        self.server.id
    }

    pub fn is_up(&self) -> bool {
        !self.crashed && !self.removed
    }

    pub fn leader_id(&self) -> u64 {
        self.raft.soft_state().leader
    }

    pub fn is_leader(&self) -> bool {
        self.is_up() && self.raft.soft_state().role == raft::Role::Leader
    }

    pub fn term(&self) -> u64 {
        self.raft.hard_state().term
    }

    /// Whether some client request waits here.
    pub fn has_waiting(&self) -> bool {
        !self.proposals.is_empty() || !self.reads.is_empty() || !self.transfers.is_empty()
    }

    /// Tickets of every client request waiting here.
    pub fn waiting(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self.proposals.values().copied().collect();
        t.extend(self.reads.values().map(|r| r.ticket));
        t.extend(self.transfers.iter().map(|(t, _)| *t));
        t
    }

    /// Tickets of every client request waiting here, forgetting them.
    pub fn take_waiting(&mut self) -> Vec<u64> {
        let t = self.waiting();
        self.proposals.clear();
        self.reads.clear();
        self.transfers.clear();
        t
    }

    /// Forgets `ticket` if it waits here (it timed out); true if it did.
    pub fn forget(&mut self, ticket: u64) -> bool {
        let before = self.proposals.len() + self.reads.len() + self.transfers.len();
        self.proposals.retain(|_, t| *t != ticket);
        self.reads.retain(|_, r| r.ticket != ticket);
        self.transfers.retain(|(t, _)| *t != ticket);
        before != self.proposals.len() + self.reads.len() + self.transfers.len()
    }

    /// A crash: waiting clients lose their connection (their tickets are
    /// returned); the server forgets what lives only in memory.
    pub fn crash(&mut self) -> Vec<u64> {
        self.crashed = true;
        self.server.crash();
        self.take_waiting()
    }

    /// Restarts from durable state: Raft from its storage (term, vote, log,
    /// snapshot), the server from its applied data.
    pub fn restart(&mut self) -> Result<(), EtcdError> {
        let storage = self.raft.storage().clone();
        // a restarted process draws new election timeouts
        self.raft_config.seed = self.raft_config.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.raft =
            Raft::restart(self.raft_config.clone(), storage).map_err(|_| EtcdError::Stopped)?;
        self.crashed = false;
        Ok(())
    }
}
