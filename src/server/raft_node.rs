//! The member's Raft node (etcd's `raftNode`) and its process: up, crashed
//! (volatile state lost, the Raft storage and applied data kept) or
//! removed from the cluster.

use super::{EtcdServer, InternalRaftRequest, StateSnapshot};
use crate::errors::EtcdError;
use crate::raft::{self, Raft};

pub type RaftNode = Raft<InternalRaftRequest, StateSnapshot>;

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

    pub fn leader_id(&self) -> u64 {
        self.raft.soft_state().leader
    }

    pub fn is_leader(&self) -> bool {
        self.is_up() && self.raft.soft_state().role == raft::Role::Leader
    }

    pub fn term(&self) -> u64 {
        self.raft.hard_state().term
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
        // a new process: no leader known yet, its counters from zero
        self.last_leader = raft::NONE;
        self.leader_changes_seen = 0;
        Ok(())
    }
}
