//! Read-only views of a node, for the caller and for visualisation.

use crate::boxed_map::BoxedMap;

use super::message::{ConfState, HardState};
use super::progress::ProgressState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

/// The volatile state worth reporting on change (etcd's `SoftState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftState {
    /// 0 when no leader is known.
    pub leader: u64,
    pub role: Role,
}

/// The leader's view of one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressStatus {
    pub matched: u64,
    pub next: u64,
    pub state: ProgressState,
    pub is_learner: bool,
    pub recent_active: bool,
    pub inflight: usize,
}

/// Where the log stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogStatus {
    /// First index still held as an entry (snapshot index + 1).
    pub first_index: u64,
    pub last_index: u64,
    pub last_term: u64,
    pub snapshot_index: u64,
    pub snapshot_term: u64,
    /// Last index the caller persisted.
    pub stabled: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub id: u64,
    pub hard_state: HardState,
    pub soft_state: SoftState,
    pub applied: u64,
    /// Empty unless this node is the leader.
    pub progress: BoxedMap<u64, ProgressStatus>,
    pub conf_state: ConfState,
    pub lead_transferee: u64,
    pub pending_conf_index: u64,
    pub log: LogStatus,
}
