//! One member process of the simulated world: its Raft node and its etcd
//! server, plus the client requests waiting on it. It can crash (volatile
//! state lost; the Raft storage and applied data stay) and restart.

use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use crate::pb::{AuthenticateRequest, LeaseKeepAliveRequest};
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
    /// The client's token, looked at once the read can be served (etcd's
    /// `doSerialize` after `linearizableReadNotify`).
    pub token: Option<String>,
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
    /// The leader this member knows now, or none (etcd tells waiting reads
    /// when a leader appears that is not this one).
    pub last_leader: u64,
    /// When this member last became leader (etcd's `leadElectedTime`).
    pub lead_elected_at: Option<u64>,
    /// New leaders seen since the process started (etcd's
    /// `leader_changes_seen_total`, counted where `last_leader` changes).
    pub leader_changes_seen: u64,
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
}

impl Forward {
    pub fn ticket(&self) -> u64 {
        match self {
            Forward::Request(t, _) | Forward::KeepAlive(t, _) | Forward::End(t) => *t,
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
            authentications: BTreeMap::new(),
            held: Vec::new(),
            forwards: Vec::new(),
            reads: BTreeMap::new(),
            token_waits: Vec::new(),
            next_read_ctx: 1,
            transfers: Vec::new(),
            last_leader: 0,
            lead_elected_at: None,
            leader_changes_seen: 0,
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
        !self.proposals.is_empty()
            || !self.reads.is_empty()
            || !self.token_waits.is_empty()
            || !self.transfers.is_empty()
            || !self.forwards.is_empty()
    }

    /// Tickets of every client request waiting here.
    pub fn waiting(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self.proposals.values().map(|t| **t).collect();
        t.extend(self.reads.values().map(|r| r.ticket));
        t.extend(self.token_waits.iter().map(|w| w.ticket));
        t.extend(self.transfers.iter().map(|(t, _)| *t));
        t.extend(self.forwards.iter().map(Forward::ticket));
        t
    }

    /// Tickets of every client request waiting here, forgetting them.
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
        let count = |n: &Node| n.reads.len() + n.transfers.len() + n.token_waits.len();
        let before = count(self);
        self.reads.retain(|_, r| r.ticket != ticket);
        self.transfers.retain(|(t, _)| *t != ticket);
        self.token_waits.retain(|w| w.ticket != ticket);
        (before != count(self)).then_some(Waiting::Other)
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
        let mut config = self.raft_config.clone();
        config.seed = config.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // (nothing changes if it cannot restart)
        self.raft = Raft::restart(config.clone(), storage).map_err(|_| EtcdError::Stopped)?;
        self.raft_config = config;
        self.crashed = false;
        // a new process: no leader known yet, its counters from zero
        self.last_leader = raft::NONE;
        self.leader_changes_seen = 0;
        Ok(())
    }
}
