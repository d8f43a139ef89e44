//! The errors of the raft module, with etcd-raft's messages.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftError {
    /// The proposal was not accepted: no leader known, a leadership transfer
    /// is under way, or this node is a leader that left the configuration.
    ProposalDropped,
    /// A local-only message (`Hup`, `Beat`, ...) arrived as if from a peer
    /// through [`crate::raft::Raft::step`] with a non-zero term.
    StepLocalMsg,
    /// A response came from a node that is not in the configuration.
    StepPeerNotFound,
    /// The requested index is before the first index kept in the log.
    Compacted,
    /// The requested index is after the last index in the log.
    Unavailable,
    /// A snapshot older than the one already held.
    SnapOutOfDate,
    /// The configuration given to a constructor is unusable.
    InvalidConfig(&'static str),
    /// A conf change that cannot be applied (the configuration is unchanged).
    InvalidConfChange(&'static str),
}

impl fmt::Display for RaftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftError::ProposalDropped => f.write_str("raft proposal dropped"),
            RaftError::StepLocalMsg => f.write_str("raft: cannot step raft local message"),
            RaftError::StepPeerNotFound => f.write_str("raft: cannot step as peer not found"),
            RaftError::Compacted => f.write_str("requested index is unavailable due to compaction"),
            RaftError::Unavailable => f.write_str("requested entry at index is unavailable"),
            RaftError::SnapOutOfDate => {
                f.write_str("requested index is older than the existing snapshot")
            }
            RaftError::InvalidConfig(why) => write!(f, "raft: invalid config: {why}"),
            RaftError::InvalidConfChange(why) => write!(f, "raft: invalid conf change: {why}"),
        }
    }
}

impl std::error::Error for RaftError {}
