//! A node's whole state as a checkpoint (see `crate::checkpoint`): what
//! `restart` would lose too (the log past `stabled`, progress, the
//! ReadIndex queue, the RNG, the outbox), so that a loaded node goes on
//! exactly as the saved one would.

use crate::checkpoint::{unit_enum, Checkpoint, Decoder, Encoder};

use super::log::RaftLog;
use super::progress::{Inflights, Progress, ProgressState};
use super::rand::SplitMix64;
use super::read_only::{ReadIndexStatus, ReadOnly};
use super::tracker::ProgressTracker;
use super::{
    ConfChange, ConfChangeType, ConfState, Config, Entry, Event, HardState, Message,
    MessageContext, MessageType, Payload, Raft, ReadState, Role, Snapshot, SnapshotMetadata,
    SoftState, Storage,
};

unit_enum!(MessageType {
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
});
unit_enum!(Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader
});
unit_enum!(ProgressState {
    Probe,
    Replicate,
    Snapshot
});
unit_enum!(ConfChangeType {
    AddNode,
    RemoveNode,
    UpdateNode,
    AddLearnerNode
});

impl<D: Checkpoint, S: Checkpoint> Checkpoint for Raft<D, S> {
    fn encode(&self, e: &mut Encoder) {
        let Raft {
            id,
            term,
            vote,
            lead,
            role,
            cfg,
            rng,
            log,
            storage,
            pending_snapshot,
            tracker,
            read_only,
            pending_read_index,
            read_states,
            msgs,
            events,
            election_elapsed,
            heartbeat_elapsed,
            randomized_election_timeout,
            lead_transferee,
            pending_conf_index,
            prev_soft,
            prev_hard,
        } = self;
        for v in [id, term, vote, lead] {
            e.u64(*v);
        }
        role.encode(e);
        cfg.encode(e);
        rng.encode(e);
        log.encode(e);
        storage.encode(e);
        pending_snapshot.encode(e);
        tracker.encode(e);
        read_only.encode(e);
        pending_read_index.encode(e);
        read_states.encode(e);
        msgs.encode(e);
        events.encode(e);
        for v in [
            election_elapsed,
            heartbeat_elapsed,
            randomized_election_timeout,
            lead_transferee,
            pending_conf_index,
        ] {
            e.u64(*v);
        }
        prev_soft.encode(e);
        prev_hard.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Raft {
            id: d.u64(),
            term: d.u64(),
            vote: d.u64(),
            lead: d.u64(),
            role: Checkpoint::decode(d),
            cfg: Checkpoint::decode(d),
            rng: Checkpoint::decode(d),
            log: Checkpoint::decode(d),
            storage: Checkpoint::decode(d),
            pending_snapshot: Checkpoint::decode(d),
            tracker: Checkpoint::decode(d),
            read_only: Checkpoint::decode(d),
            pending_read_index: Checkpoint::decode(d),
            read_states: Checkpoint::decode(d),
            msgs: Checkpoint::decode(d),
            events: Checkpoint::decode(d),
            election_elapsed: d.u64(),
            heartbeat_elapsed: d.u64(),
            randomized_election_timeout: d.u64(),
            lead_transferee: d.u64(),
            pending_conf_index: d.u64(),
            prev_soft: Checkpoint::decode(d),
            prev_hard: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for Config {
    fn encode(&self, e: &mut Encoder) {
        let Config {
            id,
            election_tick,
            heartbeat_tick,
            check_quorum,
            pre_vote,
            max_inflight,
            max_entries_per_msg,
            seed,
            unsafe_vote_ignores_log,
        } = self;
        for v in [id, election_tick, heartbeat_tick] {
            e.u64(*v);
        }
        e.bool(*check_quorum);
        e.bool(*pre_vote);
        max_inflight.encode(e);
        max_entries_per_msg.encode(e);
        e.u64(*seed);
        e.bool(*unsafe_vote_ignores_log);
    }

    fn decode(d: &mut Decoder) -> Self {
        Config {
            id: d.u64(),
            election_tick: d.u64(),
            heartbeat_tick: d.u64(),
            check_quorum: d.bool(),
            pre_vote: d.bool(),
            max_inflight: d.usize(),
            max_entries_per_msg: d.usize(),
            seed: d.u64(),
            unsafe_vote_ignores_log: d.bool(),
        }
    }
}

impl Checkpoint for SplitMix64 {
    fn encode(&self, e: &mut Encoder) {
        let SplitMix64 { state } = self;
        e.u64(*state);
    }

    fn decode(d: &mut Decoder) -> Self {
        SplitMix64 { state: d.u64() }
    }
}

impl<D: Checkpoint> Checkpoint for RaftLog<D> {
    fn encode(&self, e: &mut Encoder) {
        let RaftLog {
            snap_index,
            snap_term,
            entries,
            committed,
            applied,
            stabled,
        } = self;
        e.u64(*snap_index);
        e.u64(*snap_term);
        entries.encode(e);
        e.u64(*committed);
        e.u64(*applied);
        e.u64(*stabled);
    }

    fn decode(d: &mut Decoder) -> Self {
        RaftLog {
            snap_index: d.u64(),
            snap_term: d.u64(),
            entries: Checkpoint::decode(d),
            committed: d.u64(),
            applied: d.u64(),
            stabled: d.u64(),
        }
    }
}

impl<D: Checkpoint, S: Checkpoint> Checkpoint for Storage<D, S> {
    fn encode(&self, e: &mut Encoder) {
        let Storage {
            hard_state,
            snapshot,
            snapshot_data,
            entries,
        } = self;
        hard_state.encode(e);
        snapshot.encode(e);
        snapshot_data.encode(e);
        entries.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Storage {
            hard_state: Checkpoint::decode(d),
            snapshot: Checkpoint::decode(d),
            snapshot_data: Checkpoint::decode(d),
            entries: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for HardState {
    fn encode(&self, e: &mut Encoder) {
        let HardState { term, vote, commit } = self;
        for v in [term, vote, commit] {
            e.u64(*v);
        }
    }

    fn decode(d: &mut Decoder) -> Self {
        HardState {
            term: d.u64(),
            vote: d.u64(),
            commit: d.u64(),
        }
    }
}

impl Checkpoint for SoftState {
    fn encode(&self, e: &mut Encoder) {
        let SoftState { leader, role } = self;
        e.u64(*leader);
        role.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        SoftState {
            leader: d.u64(),
            role: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for ConfState {
    fn encode(&self, e: &mut Encoder) {
        let ConfState { voters, learners } = self;
        voters.encode(e);
        learners.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        ConfState {
            voters: Checkpoint::decode(d),
            learners: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for SnapshotMetadata {
    fn encode(&self, e: &mut Encoder) {
        let SnapshotMetadata {
            index,
            term,
            conf_state,
        } = self;
        e.u64(*index);
        e.u64(*term);
        conf_state.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        SnapshotMetadata {
            index: d.u64(),
            term: d.u64(),
            conf_state: Checkpoint::decode(d),
        }
    }
}

impl<S: Checkpoint> Checkpoint for Snapshot<S> {
    fn encode(&self, e: &mut Encoder) {
        let Snapshot { metadata, data } = self;
        metadata.encode(e);
        data.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Snapshot {
            metadata: Checkpoint::decode(d),
            data: Checkpoint::decode(d),
        }
    }
}

impl<D: Checkpoint> Checkpoint for Entry<D> {
    fn encode(&self, e: &mut Encoder) {
        let Entry {
            term,
            index,
            payload,
        } = self;
        e.u64(*term);
        e.u64(*index);
        match payload {
            Payload::Empty => e.u64(0),
            Payload::Normal(data) => {
                e.u64(1);
                data.encode(e);
            }
            Payload::ConfChange(cc) => {
                e.u64(2);
                cc.encode(e);
            }
        }
    }

    fn decode(d: &mut Decoder) -> Self {
        let term = d.u64();
        let index = d.u64();
        let payload = match d.tag(3) {
            0 => Payload::Empty,
            1 => Payload::Normal(D::decode(d)),
            _ => Payload::ConfChange(Checkpoint::decode(d)),
        };
        Entry {
            term,
            index,
            payload,
        }
    }
}

impl Checkpoint for ConfChange {
    fn encode(&self, e: &mut Encoder) {
        let ConfChange {
            change_type,
            node_id,
            context,
        } = self;
        change_type.encode(e);
        e.u64(*node_id);
        e.bytes(context);
    }

    fn decode(d: &mut Decoder) -> Self {
        ConfChange {
            change_type: Checkpoint::decode(d),
            node_id: d.u64(),
            context: d.bytes(),
        }
    }
}

impl Checkpoint for MessageContext {
    fn encode(&self, e: &mut Encoder) {
        match self {
            MessageContext::None => e.u64(0),
            MessageContext::Read(ctx) => {
                e.u64(1);
                e.u64(*ctx);
            }
            MessageContext::CampaignTransfer => e.u64(2),
        }
    }

    fn decode(d: &mut Decoder) -> Self {
        match d.tag(3) {
            0 => MessageContext::None,
            1 => MessageContext::Read(d.u64()),
            _ => MessageContext::CampaignTransfer,
        }
    }
}

impl<D: Checkpoint, S: Checkpoint> Checkpoint for Message<D, S> {
    fn encode(&self, e: &mut Encoder) {
        let Message {
            msg_type,
            from,
            to,
            term,
            log_term,
            index,
            entries,
            commit,
            reject,
            reject_hint,
            snapshot,
            context,
        } = self;
        msg_type.encode(e);
        for v in [from, to, term, log_term, index] {
            e.u64(*v);
        }
        entries.encode(e);
        e.u64(*commit);
        e.bool(*reject);
        e.u64(*reject_hint);
        snapshot.encode(e);
        context.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Message {
            msg_type: Checkpoint::decode(d),
            from: d.u64(),
            to: d.u64(),
            term: d.u64(),
            log_term: d.u64(),
            index: d.u64(),
            entries: Checkpoint::decode(d),
            commit: d.u64(),
            reject: d.bool(),
            reject_hint: d.u64(),
            snapshot: Checkpoint::decode(d),
            context: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for ProgressTracker {
    fn encode(&self, e: &mut Encoder) {
        let ProgressTracker {
            conf,
            progress,
            votes,
            max_inflight,
        } = self;
        conf.encode(e);
        progress.encode(e);
        votes.encode(e);
        max_inflight.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        ProgressTracker {
            conf: Checkpoint::decode(d),
            progress: Checkpoint::decode(d),
            votes: Checkpoint::decode(d),
            max_inflight: d.usize(),
        }
    }
}

impl Checkpoint for Progress {
    fn encode(&self, e: &mut Encoder) {
        let Progress {
            matched,
            next,
            state,
            pending_snapshot,
            recent_active,
            probe_sent,
            inflights,
            is_learner,
        } = self;
        e.u64(*matched);
        e.u64(*next);
        state.encode(e);
        e.u64(*pending_snapshot);
        e.bool(*recent_active);
        e.bool(*probe_sent);
        inflights.encode(e);
        e.bool(*is_learner);
    }

    fn decode(d: &mut Decoder) -> Self {
        Progress {
            matched: d.u64(),
            next: d.u64(),
            state: Checkpoint::decode(d),
            pending_snapshot: d.u64(),
            recent_active: d.bool(),
            probe_sent: d.bool(),
            inflights: Checkpoint::decode(d),
            is_learner: d.bool(),
        }
    }
}

impl Checkpoint for Inflights {
    fn encode(&self, e: &mut Encoder) {
        let Inflights { cap, queue } = self;
        cap.encode(e);
        queue.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Inflights {
            cap: d.usize(),
            queue: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for ReadOnly {
    fn encode(&self, e: &mut Encoder) {
        let ReadOnly { pending, queue } = self;
        pending.encode(e);
        queue.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        ReadOnly {
            pending: Checkpoint::decode(d),
            queue: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for ReadIndexStatus {
    fn encode(&self, e: &mut Encoder) {
        let ReadIndexStatus {
            from,
            ctx,
            index,
            acks,
        } = self;
        for v in [from, ctx, index] {
            e.u64(*v);
        }
        acks.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        ReadIndexStatus {
            from: d.u64(),
            ctx: d.u64(),
            index: d.u64(),
            acks: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for ReadState {
    fn encode(&self, e: &mut Encoder) {
        let ReadState { index, request_ctx } = self;
        e.u64(*index);
        e.u64(*request_ctx);
    }

    fn decode(d: &mut Decoder) -> Self {
        ReadState {
            index: d.u64(),
            request_ctx: d.u64(),
        }
    }
}

/// A trace event names nodes by Raft id here and by member index in the
/// cluster's trace: either way a number.
impl<N: Checkpoint> Checkpoint for Event<N> {
    fn encode(&self, e: &mut Encoder) {
        match self {
            Event::BecameFollower { term, leader } => {
                e.u64(0);
                e.u64(*term);
                leader.encode(e);
            }
            Event::BecamePreCandidate { term } => {
                e.u64(1);
                e.u64(*term);
            }
            Event::BecameCandidate { term } => {
                e.u64(2);
                e.u64(*term);
            }
            Event::BecameLeader { term } => {
                e.u64(3);
                e.u64(*term);
            }
            Event::Voted {
                candidate,
                term,
                pre_vote,
                granted,
            } => {
                e.u64(4);
                candidate.encode(e);
                e.u64(*term);
                e.bool(*pre_vote);
                e.bool(*granted);
            }
            Event::VoteIgnoredInLease { candidate, term } => {
                e.u64(5);
                candidate.encode(e);
                e.u64(*term);
            }
            Event::Committed { index } => {
                e.u64(6);
                e.u64(*index);
            }
            Event::ConfChangeRefused { index } => {
                e.u64(7);
                e.u64(*index);
            }
            Event::SnapshotRestored { index, term } => {
                e.u64(8);
                e.u64(*index);
                e.u64(*term);
            }
            Event::LeaderTransferStarted { to } => {
                e.u64(9);
                to.encode(e);
            }
            Event::LeaderTransferAborted { to } => {
                e.u64(10);
                to.encode(e);
            }
            Event::CheckQuorumFailed { term } => {
                e.u64(11);
                e.u64(*term);
            }
        }
    }

    fn decode(d: &mut Decoder) -> Self {
        match d.tag(12) {
            0 => Event::BecameFollower {
                term: d.u64(),
                leader: N::decode(d),
            },
            1 => Event::BecamePreCandidate { term: d.u64() },
            2 => Event::BecameCandidate { term: d.u64() },
            3 => Event::BecameLeader { term: d.u64() },
            4 => Event::Voted {
                candidate: N::decode(d),
                term: d.u64(),
                pre_vote: d.bool(),
                granted: d.bool(),
            },
            5 => Event::VoteIgnoredInLease {
                candidate: N::decode(d),
                term: d.u64(),
            },
            6 => Event::Committed { index: d.u64() },
            7 => Event::ConfChangeRefused { index: d.u64() },
            8 => Event::SnapshotRestored {
                index: d.u64(),
                term: d.u64(),
            },
            9 => Event::LeaderTransferStarted { to: N::decode(d) },
            10 => Event::LeaderTransferAborted { to: N::decode(d) },
            _ => Event::CheckQuorumFailed { term: d.u64() },
        }
    }
}

#[cfg(test)]
mod tests;
