//! The member's Raft node (etcd's `raftNode`) and its process: up, crashed
//! (volatile state lost, the Raft storage and applied data kept) or
//! removed from the cluster.

use super::maintenance::RaftView;
use super::watch::HeaderInfo;
use super::{EtcdServer, InternalRaftRequest, SnapshotData, Ticket};
use crate::errors::EtcdError;
use crate::raft::{self, Raft};
use std::rc::Rc;

pub type RaftNode = Raft<Rc<InternalRaftRequest>, SnapshotData>;

/// A Raft message between members.
pub type RaftMessage = raft::Message<Rc<InternalRaftRequest>, SnapshotData>;

/// A log entry. Its request is shared, not copied: etcd marshals a
/// proposal once into the entry's `Data`, and here the leader's log and
/// storage, the messages carrying it and every follower's log and storage
/// hold the same one (an entry is never changed once proposed).
pub type RaftEntry = raft::Entry<Rc<InternalRaftRequest>>;

/// A Raft node that knows no peers yet (it learns them from the log).
pub fn new_node(config: &raft::Config) -> RaftNode {
    Raft::new(config.clone(), raft::ConfState::default()).unwrap_or_else(|_| fallback(config))
}

/// A node of a fresh cluster of `peers`.
pub fn bootstrap_node(config: &raft::Config, peers: &[u64]) -> RaftNode {
    Raft::bootstrap(config.clone(), peers).unwrap_or_else(|_| fallback(config))
}

/// A node that can never be built from a valid config; only reached if the
/// id were 0, which sha1-derived ids are not.
fn fallback(rc: &raft::Config) -> RaftNode {
    let mut c = rc.clone();
    c.id = c.id.max(1);
    Raft::new(c, raft::ConfState::default()).unwrap_or_else(|_| unreachable!("a valid config"))
}

impl EtcdServer {
    pub fn is_up(&self) -> bool {
        !self.crashed && !self.removed
    }

    /// Down after a crash, until restarted.
    pub fn is_crashed(&self) -> bool {
        self.crashed
    }

    /// Removed from the cluster: stopped for good.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    /// The Raft node, for inspection.
    pub fn raft(&self) -> &RaftNode {
        &self.raft
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

    /// Whether this member is a learner in its own view of the membership
    /// (etcd's `s.IsMemberExist(s.ID()) && s.IsLearner()`).
    pub fn is_learner(&self) -> bool {
        self.membership().get(self.id).is_some_and(|m| m.is_learner)
    }

    /// New leaders this member has seen since its process started.
    pub fn leader_changes_seen(&self) -> u64 {
        self.leader_changes_seen
    }

    /// Client proposals waiting to be applied here (etcd's
    /// `proposals_pending`).
    pub fn proposals_pending(&self) -> usize {
        self.w.proposals.len()
    }

    /// Whether some client waits here for an answer.
    pub fn has_waiting(&self) -> bool {
        self.w.has_waiting() || !self.w.deferred.is_empty()
    }

    /// Tickets of every client request waiting here for an answer, lock
    /// and election calls included (not those whose client needs nothing
    /// more).
    pub fn waiting(&self) -> Vec<Ticket> {
        let mut t = self.w.waiting();
        t.retain(|t| !self.is_gone_service(*t));
        t.extend(self.w.deferred.iter().map(|d| d.1));
        t.extend(self.live_services());
        t
    }

    /// One heartbeat interval passed (etcd's `raftNode` ticker).
    pub fn tick(&mut self) {
        self.raft.tick();
    }

    /// A Raft message from a peer arrived.
    pub fn step(&mut self, msg: super::RaftMessage) {
        let _ = self.raft.step(msg);
    }

    /// Whether the snapshot this member sent to `id` arrived (etcd's
    /// transport reports it, or the leader would wait for it forever).
    pub fn report_snapshot(&mut self, id: u64, delivered: bool) {
        self.raft.report_snapshot(id, delivered);
    }

    /// Starts an election now.
    pub fn campaign(&mut self) {
        let _ = self.raft.campaign();
    }

    /// As the leader, hands leadership to `to`.
    pub fn transfer_leadership(&mut self, to: u64) {
        let _ = self.raft.transfer_leader(to);
    }

    /// BREAKS RAFT on purpose (see `raft::Config::unsafe_vote_ignores_log`).
    #[doc(hidden)]
    pub fn unsafe_break_vote_rule(&mut self) {
        self.cfg.raft.unsafe_vote_ignores_log = true;
        self.raft.set_unsafe_vote_ignores_log(true);
    }

    /// Restarts from durable state: Raft from its storage (term, vote, log,
    /// snapshot), the server from its applied data.
    pub fn restart(&mut self) -> Result<(), EtcdError> {
        let storage = self.raft.storage().clone();
        // a restarted process draws new election timeouts
        let mut config = self.cfg.raft.clone();
        config.seed = config.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // (nothing changes if it cannot restart)
        self.raft = Raft::restart(config.clone(), storage).map_err(|_| EtcdError::Stopped)?;
        self.cfg.raft = config;
        self.crashed = false;
        // a new process: no leader known yet, its counters from zero
        self.last_leader = raft::NONE;
        self.leader_changes_seen = 0;
        Ok(())
    }
}

impl EtcdServer {
    /// What this member's response headers carry: the cluster, itself, its
    /// term.
    pub fn header(&self) -> HeaderInfo {
        HeaderInfo {
            cluster_id: self.cfg.cluster_id,
            member_id: self.id,
            raft_term: self.term(),
        }
    }

    /// What the status answer shows of the Raft node.
    pub(super) fn raft_view(&self) -> RaftView {
        RaftView {
            leader_id: self.leader_id(),
            term: self.term(),
            commit: self.raft.hard_state().commit,
        }
    }
}
