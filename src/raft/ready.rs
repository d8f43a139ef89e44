//! What the node hands to its caller: [`Ready`] (etcd's `raft.Ready`), the
//! answers to ReadIndex requests and the trace of notable transitions.

use super::message::{Entry, HardState, Message, Snapshot};
use super::status::SoftState;

/// A linearizable read may be served once the applied index reaches `index`
/// (etcd's `ReadState`; `request_ctx` is the caller's id for the request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadState {
    pub index: u64,
    pub request_ctx: u64,
}

/// Notable transitions, for visualisation and teaching. They never carry
/// information the caller needs for correctness.
///
/// `N` names another node: its Raft id here; the caller may turn ids into
/// its own references with [`Event::map_nodes`] (the simulated cluster
/// uses member indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<N = u64> {
    BecameFollower {
        term: u64,
        /// The leader, `NONE` when not known yet.
        leader: N,
    },
    BecamePreCandidate {
        term: u64,
    },
    BecameCandidate {
        term: u64,
    },
    BecameLeader {
        term: u64,
    },
    /// This node answered a (pre-)vote request.
    Voted {
        candidate: N,
        term: u64,
        pre_vote: bool,
        granted: bool,
    },
    /// A vote request was ignored because this node heard from its leader
    /// within the election timeout (leader lease, Raft thesis 4.2.3).
    VoteIgnoredInLease {
        candidate: N,
        term: u64,
    },
    /// The leader advanced its commit index by counting replicas.
    Committed {
        index: u64,
    },
    /// A conf change proposal became an empty entry because another one is
    /// still pending (etcd's `pendingConfIndex` rule).
    ConfChangeRefused {
        index: u64,
    },
    /// A follower replaced its log with a snapshot from the leader.
    SnapshotRestored {
        index: u64,
        term: u64,
    },
    LeaderTransferStarted {
        to: N,
    },
    LeaderTransferAborted {
        to: N,
    },
    /// A leader without a recently active quorum stepped down.
    CheckQuorumFailed {
        term: u64,
    },
}

impl<N> Event<N> {
    /// The same event with every node reference passed through `f`.
    pub fn map_nodes<M>(self, f: impl FnOnce(N) -> M) -> Event<M> {
        match self {
            Event::BecameFollower { term, leader } => Event::BecameFollower {
                term,
                leader: f(leader),
            },
            Event::BecamePreCandidate { term } => Event::BecamePreCandidate { term },
            Event::BecameCandidate { term } => Event::BecameCandidate { term },
            Event::BecameLeader { term } => Event::BecameLeader { term },
            Event::Voted {
                candidate,
                term,
                pre_vote,
                granted,
            } => Event::Voted {
                candidate: f(candidate),
                term,
                pre_vote,
                granted,
            },
            Event::VoteIgnoredInLease { candidate, term } => Event::VoteIgnoredInLease {
                candidate: f(candidate),
                term,
            },
            Event::Committed { index } => Event::Committed { index },
            Event::ConfChangeRefused { index } => Event::ConfChangeRefused { index },
            Event::SnapshotRestored { index, term } => Event::SnapshotRestored { index, term },
            Event::LeaderTransferStarted { to } => Event::LeaderTransferStarted { to: f(to) },
            Event::LeaderTransferAborted { to } => Event::LeaderTransferAborted { to: f(to) },
            Event::CheckQuorumFailed { term } => Event::CheckQuorumFailed { term },
        }
    }
}

/// Everything the caller must act on, in this order: persist `snapshot`,
/// `entries` and `hard_state`; send `messages`; apply `snapshot` then
/// `committed_entries` to the state machine; serve `read_states` once
/// applied; then give the `Ready` back through `advance`.
#[derive(Clone, Debug)]
pub struct Ready<D, S> {
    /// Present when the role or the known leader changed.
    pub soft_state: Option<SoftState>,
    /// Present when term, vote or commit changed.
    pub hard_state: Option<HardState>,
    pub read_states: Vec<ReadState>,
    /// Entries to persist (the node writes them to its storage on advance).
    pub entries: Vec<Entry<D>>,
    /// A snapshot the state machine must restore before applying
    /// `committed_entries`.
    pub snapshot: Option<Snapshot<S>>,
    pub committed_entries: Vec<Entry<D>>,
    pub messages: Vec<Message<D, S>>,
    pub events: Vec<Event>,
}
