//! The values Raft nodes exchange and persist (etcd's `raftpb`): entries,
//! messages, snapshots, configurations and the hard state.
//!
//! The payloads are the application's: an entry carries a `D`, a snapshot an
//! `S`. Raft never looks inside them.

use std::collections::BTreeSet;

/// Node ids are non-zero; 0 means "nobody" (etcd's `raft.None`).
pub const NONE: u64 = 0;

/// The kinds of message, with etcd's names (`pb.MsgHup`, `pb.MsgApp`, ...).
///
/// `Hup`, `Beat`, `CheckQuorum`, `Unreachable` and `SnapStatus` are local:
/// the caller (or the node itself) steps them into the node; they never
/// travel between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageType {
    /// Start an election (local).
    Hup,
    /// Leader: send heartbeats now (local).
    Beat,
    /// A proposal; a follower forwards it to its leader.
    Prop,
    /// AppendEntries (Raft paper 5.3).
    App,
    /// Answer to `App` (and to `Snap`).
    AppResp,
    /// RequestVote (Raft paper 5.2).
    Vote,
    VoteResp,
    /// InstallSnapshot (Raft paper 7).
    Snap,
    Heartbeat,
    HeartbeatResp,
    /// The caller reports that a peer could not be reached (local).
    Unreachable,
    /// The caller reports whether a snapshot reached the peer (local).
    SnapStatus,
    /// Leader: verify that a quorum was recently active (local).
    CheckQuorum,
    /// Ask the leader to hand leadership to `from`.
    TransferLeader,
    /// Leader to transferee: campaign now, without pre-vote.
    TimeoutNow,
    /// Ask for a read index (linearizable read, Raft thesis 6.4).
    ReadIndex,
    ReadIndexResp,
    /// Pre-vote (Raft thesis 9.6): would you vote for me at `term`?
    PreVote,
    PreVoteResp,
}

impl MessageType {
    /// Its name as the trace shows it (`App`, `VoteResp`).
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Hup => "Hup",
            MessageType::Beat => "Beat",
            MessageType::Prop => "Prop",
            MessageType::App => "App",
            MessageType::AppResp => "AppResp",
            MessageType::Vote => "Vote",
            MessageType::VoteResp => "VoteResp",
            MessageType::Snap => "Snap",
            MessageType::Heartbeat => "Heartbeat",
            MessageType::HeartbeatResp => "HeartbeatResp",
            MessageType::Unreachable => "Unreachable",
            MessageType::SnapStatus => "SnapStatus",
            MessageType::CheckQuorum => "CheckQuorum",
            MessageType::TransferLeader => "TransferLeader",
            MessageType::TimeoutNow => "TimeoutNow",
            MessageType::ReadIndex => "ReadIndex",
            MessageType::ReadIndexResp => "ReadIndexResp",
            MessageType::PreVote => "PreVote",
            MessageType::PreVoteResp => "PreVoteResp",
        }
    }

    /// Messages a node generates for itself; a peer never sends them.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            MessageType::Hup
                | MessageType::Beat
                | MessageType::Unreachable
                | MessageType::SnapStatus
                | MessageType::CheckQuorum
        )
    }

    /// Messages that answer another message; etcd's `IsResponseMsg`.
    pub fn is_response(self) -> bool {
        matches!(
            self,
            MessageType::AppResp
                | MessageType::VoteResp
                | MessageType::HeartbeatResp
                | MessageType::Unreachable
                | MessageType::ReadIndexResp
                | MessageType::PreVoteResp
        )
    }

    /// The answer to a (pre-)vote request.
    pub(crate) fn vote_response(self) -> MessageType {
        match self {
            MessageType::PreVote => MessageType::PreVoteResp,
            _ => MessageType::VoteResp,
        }
    }
}

/// The opaque context some messages carry (etcd uses a byte string).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageContext {
    #[default]
    None,
    /// The caller's ReadIndex request id, echoed in heartbeats and answers.
    Read(u64),
    /// A vote request caused by leadership transfer: it overrides the leader
    /// lease of the voters (etcd's `campaignTransfer` context).
    CampaignTransfer,
}

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload<D> {
    /// No data: the entry a new leader appends (Raft paper 8), or a refused
    /// conf change (etcd turns it into an empty normal entry).
    Empty,
    /// The application's command.
    Normal(D),
    /// A membership change, applied by the caller once committed.
    ConfChange(ConfChange),
}

/// etcd's `EntryType`. `Empty` and `Normal` payloads are both `Normal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryType {
    Normal,
    ConfChange,
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<D> {
    pub term: u64,
    pub index: u64,
    pub payload: Payload<D>,
}

impl<D> Entry<D> {
    pub fn entry_type(&self) -> EntryType {
        match self.payload {
            Payload::ConfChange(_) => EntryType::ConfChange,
            _ => EntryType::Normal,
        }
    }
}

/// The configuration: who votes and who only learns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfState {
    pub voters: BTreeSet<u64>,
    pub learners: BTreeSet<u64>,
}

impl ConfState {
    /// A configuration of voters only.
    pub fn with_voters(voters: impl IntoIterator<Item = u64>) -> Self {
        ConfState {
            voters: voters.into_iter().collect(),
            learners: BTreeSet::new(),
        }
    }

    pub fn contains(&self, id: u64) -> bool {
        self.voters.contains(&id) || self.learners.contains(&id)
    }
}

/// etcd's `ConfChangeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfChangeType {
    /// Add a voter, or promote a learner to voter.
    AddNode,
    RemoveNode,
    /// Changes nothing in Raft; the application uses it (etcd: peer URLs).
    UpdateNode,
    /// Add a learner, or demote a voter to learner.
    AddLearnerNode,
}

impl ConfChangeType {
    /// etcd's name for it without the `ConfChange` prefix, in snake case
    /// (`add_node`, `add_learner_node`), for display.
    pub fn name(self) -> &'static str {
        match self {
            ConfChangeType::AddNode => "add_node",
            ConfChangeType::RemoveNode => "remove_node",
            ConfChangeType::UpdateNode => "update_node",
            ConfChangeType::AddLearnerNode => "add_learner_node",
        }
    }
}

/// A single-step membership change (etcd's `ConfChange`, not `ConfChangeV2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfChange {
    pub change_type: ConfChangeType,
    pub node_id: u64,
    /// Opaque to Raft (etcd puts the member's attributes here).
    pub context: Vec<u8>,
}

/// Where a snapshot ends and the configuration at that point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotMetadata {
    pub index: u64,
    pub term: u64,
    pub conf_state: ConfState,
}

/// The application's state up to `metadata.index`, as one opaque value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot<S> {
    pub metadata: SnapshotMetadata,
    pub data: S,
}

/// The state that must survive a crash (Raft paper Figure 2, "persistent
/// state"; etcd also persists the commit index).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HardState {
    pub term: u64,
    pub vote: u64,
    pub commit: u64,
}

/// A message between nodes. Fields a message type does not use stay at their
/// defaults, as in etcd's `raftpb.Message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<D, S> {
    pub msg_type: MessageType,
    pub from: u64,
    pub to: u64,
    /// 0 for local messages and for forwarded proposals / read requests.
    pub term: u64,
    /// `App`: term of the entry at `index`; votes: the candidate's last term;
    /// rejected `AppResp`: the follower's term at `reject_hint`.
    pub log_term: u64,
    /// `App`: the index just before `entries`; votes: the candidate's last
    /// index; `AppResp`: the follower's last matching index (or the rejected
    /// index); `ReadIndexResp`: the read index.
    pub index: u64,
    pub entries: Vec<Entry<D>>,
    pub commit: u64,
    pub reject: bool,
    pub reject_hint: u64,
    /// Boxed: a snapshot is rare, and every message moves through the
    /// network several times (inline, it made every message 512 bytes).
    pub snapshot: Option<Box<Snapshot<S>>>,
    pub context: MessageContext,
}

impl<D, S> Message<D, S> {
    /// A message of `msg_type` with every other field at its default.
    pub fn new(msg_type: MessageType, from: u64, to: u64, term: u64) -> Self {
        Message {
            msg_type,
            from,
            to,
            term,
            log_term: 0,
            index: 0,
            entries: Vec::new(),
            commit: 0,
            reject: false,
            reject_hint: 0,
            snapshot: None,
            context: MessageContext::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageType::{self, *};

    #[test]
    fn message_type_names_are_the_variant_names() {
        let all: [MessageType; 19] = [
            Hup,
            Beat,
            Prop,
            App,
            AppResp,
            Vote,
            VoteResp,
            Snap,
            Heartbeat,
            HeartbeatResp,
            Unreachable,
            SnapStatus,
            CheckQuorum,
            TransferLeader,
            TimeoutNow,
            ReadIndex,
            ReadIndexResp,
            PreVote,
            PreVoteResp,
        ];
        for t in all {
            assert_eq!(t.name(), format!("{t:?}"));
        }
    }
}
