//! Raft consensus as a pure, deterministic state machine, in the manner of
//! etcd-io/raft as vendored in etcd v3.5.1.
//!
//! A [`Raft`] node has no clock, no network and no threads. The caller
//! drives it: [`Raft::tick`] advances logical time, [`Raft::step`] delivers
//! a message from a peer, and [`Raft::ready`] / [`Raft::advance`] hand over
//! what the node produced (messages to send, entries to persist and apply,
//! read states). Randomness (the election timeout jitter) comes from a seed
//! in the [`Config`], so the same inputs always give the same run.
//!
//! Supported, with etcd 3.5's defaults (election tick 10, heartbeat tick 1,
//! pre-vote and check-quorum on): elections with pre-vote and leader lease,
//! log replication with fast backtracking and probe/replicate/snapshot flow
//! control, ReadIndex (safe mode), leadership transfer, single-step
//! membership changes with learners, log compaction and snapshots, and
//! restart from durable state.
//!
//! # Log layout of a fresh cluster
//!
//! * [`Raft::bootstrap`] (as etcd's `StartNode`): every member starts with one
//!   `AddNode` conf change entry per peer at term 1, indexes `1..=n`, already
//!   committed; the first leader is elected at term 2 and appends its empty
//!   entry at index `n + 1`.
//! * [`Raft::new`]: the configuration is given, the log is empty at term 0;
//!   the first leader (term 1) appends its empty entry at index 1.
//!
//! ```
//! use etcd_sim::raft::{Config, ConfState, Raft, Role};
//!
//! let mut node: Raft<String, ()> = Raft::new(Config::new(1), ConfState::with_voters([1])).unwrap();
//! node.campaign().unwrap();
//! assert_eq!(node.status().soft_state.role, Role::Leader);
//! node.propose("hello".to_string()).unwrap();
//! let rd = node.ready();
//! assert_eq!(rd.committed_entries.len(), 2); // the leader's empty entry, then ours
//! node.advance(rd);
//! ```

mod checkpoint;
mod errors;
mod follower;
mod leader;
mod log;
mod message;
mod progress;
mod quorum;
pub(crate) mod rand;
mod read_only;
mod ready;
mod status;
mod step;
mod storage;
mod tracker;

#[cfg(test)]
mod tests;

pub use errors::RaftError;
pub use message::{
    ConfChange, ConfChangeType, ConfState, Entry, EntryType, HardState, Message, MessageContext,
    MessageType, Payload, Snapshot, SnapshotMetadata, NONE,
};
pub use progress::ProgressState;
pub use ready::{Event, ReadState, Ready};
pub use status::{LogStatus, ProgressStatus, Role, SoftState, Status};
pub use storage::Storage;

use std::fmt::Debug;

use log::RaftLog;
use rand::SplitMix64;
use read_only::ReadOnly;
use tracker::ProgressTracker;

/// How a node behaves. [`Config::new`] gives etcd 3.5's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// This node's id; never 0.
    pub id: u64,
    /// Ticks without hearing from a leader before campaigning; the actual
    /// timeout is drawn from `[election_tick, 2 * election_tick)`.
    pub election_tick: u64,
    /// Ticks between a leader's heartbeats.
    pub heartbeat_tick: u64,
    /// Leader steps down without a recently active quorum, and followers
    /// honour a leader lease (Raft thesis 6.2 and 4.2.3).
    pub check_quorum: bool,
    /// Campaign with a pre-vote round first (Raft thesis 9.6).
    pub pre_vote: bool,
    /// Appends in flight per follower while replicating.
    pub max_inflight: usize,
    /// Entries per append message (etcd limits bytes; we cannot size `D`).
    pub max_entries_per_msg: usize,
    /// Seed of the election jitter.
    pub seed: u64,
    /// BREAKS RAFT on purpose: grant votes without checking that the
    /// candidate's log is at least as up to date (Raft paper 5.4.1). Only
    /// for the test that shows the swarm catches a broken rule.
    #[doc(hidden)]
    pub unsafe_vote_ignores_log: bool,
}

impl Config {
    pub fn new(id: u64) -> Self {
        Config {
            id,
            election_tick: 10,
            heartbeat_tick: 1,
            check_quorum: true,
            pre_vote: true,
            max_inflight: 256,
            max_entries_per_msg: 64,
            seed: id,
            unsafe_vote_ignores_log: false,
        }
    }

    fn validate(&self) -> Result<(), RaftError> {
        if self.id == NONE {
            return Err(RaftError::InvalidConfig("cannot use none as id"));
        }
        if self.heartbeat_tick == 0 {
            return Err(RaftError::InvalidConfig(
                "heartbeat tick must be greater than 0",
            ));
        }
        if self.election_tick <= self.heartbeat_tick {
            return Err(RaftError::InvalidConfig(
                "election tick must be greater than heartbeat tick",
            ));
        }
        if self.max_inflight == 0 {
            return Err(RaftError::InvalidConfig(
                "max inflight messages must be greater than 0",
            ));
        }
        if self.max_entries_per_msg == 0 {
            return Err(RaftError::InvalidConfig(
                "max entries per message must be greater than 0",
            ));
        }
        Ok(())
    }
}

/// One Raft node. `D` is the application's command, `S` its snapshot.
#[derive(Clone, Debug)]
pub struct Raft<D, S> {
    id: u64,
    term: u64,
    vote: u64,
    lead: u64,
    role: Role,
    cfg: Config,
    rng: SplitMix64,

    log: RaftLog<D>,
    storage: Storage<D, S>,
    /// A snapshot received from the leader (or loaded on restart) that the
    /// caller has not applied yet.
    pending_snapshot: Option<Snapshot<S>>,
    tracker: ProgressTracker,

    read_only: ReadOnly,
    /// ReadIndex requests held until this leader commits in its term.
    pending_read_index: Vec<Message<D, S>>,
    read_states: Vec<ReadState>,
    msgs: Vec<Message<D, S>>,
    events: Vec<Event>,

    election_elapsed: u64,
    heartbeat_elapsed: u64,
    randomized_election_timeout: u64,
    lead_transferee: u64,
    /// Index of the latest conf change this leader may have appended; a new
    /// one is refused while it is not applied.
    pending_conf_index: u64,

    prev_soft: SoftState,
    prev_hard: HardState,
}

impl<D: Clone + Debug, S: Clone + Debug> Raft<D, S> {
    /// A node of a cluster whose configuration is `conf_state`, with an
    /// empty log at term 0 (the configuration is stored as that of the
    /// empty snapshot at index 0, so it survives restarts). A node joining
    /// such a cluster must be given the cluster's current configuration:
    /// the log holds no entries that would teach it the initial one.
    pub fn new(config: Config, conf_state: ConfState) -> Result<Self, RaftError> {
        config.validate()?;
        Raft::restart(config, Storage::new(conf_state))
    }

    /// A node of a fresh cluster of `peers`, bootstrapped as etcd does: the
    /// log holds one committed `AddNode` entry per peer at term 1 (indexes
    /// `1..=peers.len()`), which the first `Ready` asks to persist and apply.
    /// As in etcd, the node does not campaign before that `Ready` was
    /// advanced (committed conf changes must be applied first). A member
    /// joining such a cluster later starts with `Raft::new(config,
    /// ConfState::default())` and learns the configuration from the log.
    pub fn bootstrap(config: Config, peers: &[u64]) -> Result<Self, RaftError> {
        if peers.is_empty() || peers.contains(&NONE) {
            return Err(RaftError::InvalidConfig(
                "bootstrap needs non-zero peer ids",
            ));
        }
        let mut r = Raft::new(config, ConfState::default())?;
        let entries: Vec<Entry<D>> = peers
            .iter()
            .enumerate()
            .map(|(i, &id)| Entry {
                term: 1,
                index: i as u64 + 1,
                payload: Payload::ConfChange(Box::new(ConfChange {
                    change_type: ConfChangeType::AddNode,
                    node_id: id,
                    context: Vec::new(),
                })),
            })
            .collect();
        r.become_follower(1, NONE);
        r.log.append(&entries);
        r.log.committed = entries.len() as u64;
        for e in &entries {
            if let Payload::ConfChange(cc) = &e.payload {
                r.tracker.apply(cc, r.log.last_index() + 1)?;
            }
        }
        Ok(r)
    }

    /// Rebuilds a node from its durable state only, as after a crash: a
    /// follower with the stored term, vote and log, commit = the stored
    /// commit, applied = the snapshot index. The configuration is the
    /// snapshot's; the caller re-applies committed conf changes as the
    /// following `Ready`s deliver them again. If the storage holds a
    /// snapshot, the first `Ready` carries it for the state machine.
    pub fn restart(config: Config, storage: Storage<D, S>) -> Result<Self, RaftError> {
        config.validate()?;
        let hs = storage.hard_state();
        let meta = storage.snapshot_metadata().clone();
        let mut log = RaftLog::new(meta.index, meta.term, storage.entries().to_vec());
        log.committed = hs.commit.clamp(meta.index, log.last_index());
        let tracker =
            ProgressTracker::new(meta.conf_state, log.last_index() + 1, config.max_inflight);
        let mut r = Raft {
            id: config.id,
            term: hs.term,
            vote: hs.vote,
            lead: NONE,
            role: Role::Follower,
            rng: SplitMix64::new(config.seed),
            cfg: config,
            log,
            pending_snapshot: storage.snapshot(),
            storage,
            tracker,
            read_only: ReadOnly::default(),
            pending_read_index: Vec::new(),
            read_states: Vec::new(),
            msgs: Vec::new(),
            events: Vec::new(),
            election_elapsed: 0,
            heartbeat_elapsed: 0,
            randomized_election_timeout: 0,
            lead_transferee: NONE,
            pending_conf_index: 0,
            prev_soft: SoftState {
                leader: NONE,
                role: Role::Follower,
            },
            prev_hard: hs,
        };
        r.become_follower(r.term, NONE);
        r.events.clear();
        Ok(r)
    }

    /// Advances logical time by one tick.
    pub fn tick(&mut self) {
        if self.role == Role::Leader {
            self.tick_heartbeat();
        } else {
            self.tick_election();
        }
    }

    /// Delivers a message from a peer. Local message types are refused, a
    /// response from a non-member is refused, and anything malformed or
    /// stale is ignored: no message can make the node panic.
    pub fn step(&mut self, m: Message<D, S>) -> Result<(), RaftError> {
        if m.msg_type.is_local() {
            return Err(RaftError::StepLocalMsg);
        }
        if m.to != self.id || m.from == NONE {
            return Ok(()); // not for us
        }
        if m.msg_type.is_response() && !self.tracker.progress.contains_key(&m.from) {
            return Err(RaftError::StepPeerNotFound);
        }
        // Term 0 marks a local message; from a peer it is only legitimate
        // for forwarded requests and for answers from a node at term 0.
        let zero_term_ok = matches!(
            m.msg_type,
            MessageType::Prop | MessageType::ReadIndex | MessageType::PreVoteResp
        );
        if m.term == 0 && !zero_term_ok {
            return Ok(());
        }
        self.step_inner(m)
    }

    /// Starts an election now (etcd's `Campaign`, `MsgHup`).
    pub fn campaign(&mut self) -> Result<(), RaftError> {
        self.step_inner(Message::new(MessageType::Hup, self.id, self.id, 0))
    }

    /// Proposes a command. A follower forwards it to the leader; it is
    /// dropped when no leader is known or a transfer is under way.
    pub fn propose(&mut self, data: D) -> Result<(), RaftError> {
        self.propose_payload(Payload::Normal(data))
    }

    /// Proposes a membership change; the caller applies it with
    /// [`Raft::apply_conf_change`] once it is committed. A leader turns it
    /// into an empty entry while an earlier one is not applied yet.
    pub fn propose_conf_change(&mut self, cc: ConfChange) -> Result<(), RaftError> {
        self.propose_payload(Payload::ConfChange(Box::new(cc)))
    }

    fn propose_payload(&mut self, payload: Payload<D>) -> Result<(), RaftError> {
        let mut m = Message::new(MessageType::Prop, self.id, NONE, 0);
        m.entries.push(Entry {
            term: 0,
            index: 0,
            payload,
        });
        self.step_inner(m)
    }

    /// Asks for a read index; the answer appears as a [`ReadState`] with
    /// `request_ctx == ctx` in a later `Ready` (possibly never, if
    /// leadership is lost: the caller times out, as etcd does).
    pub fn read_index(&mut self, ctx: u64) -> Result<(), RaftError> {
        let mut m = Message::new(MessageType::ReadIndex, NONE, self.id, 0);
        m.context = MessageContext::Read(ctx);
        self.step_inner(m)
    }

    /// Asks the leader to hand leadership over to `transferee`.
    pub fn transfer_leader(&mut self, transferee: u64) -> Result<(), RaftError> {
        if transferee == NONE {
            return Ok(());
        }
        self.step_inner(Message::new(
            MessageType::TransferLeader,
            transferee,
            self.id,
            0,
        ))
    }

    /// The caller could not deliver a message to `id` (etcd's
    /// `ReportUnreachable`): a replicating leader falls back to probing.
    pub fn report_unreachable(&mut self, id: u64) {
        let _ = self.step_inner(Message::new(MessageType::Unreachable, id, self.id, 0));
    }

    /// Whether the snapshot sent to `id` was delivered (etcd's
    /// `ReportSnapshot`). The caller must report every `Snap` message it
    /// delivers or loses: until then the leader keeps `id` paused in
    /// snapshot state, exactly as etcd's leader waits for its transport.
    pub fn report_snapshot(&mut self, id: u64, delivered: bool) {
        let mut m = Message::new(MessageType::SnapStatus, id, self.id, 0);
        m.reject = !delivered;
        let _ = self.step_inner(m);
    }

    /// Applies a committed conf change and returns the new configuration.
    /// An invalid change (node 0, or removing the last voter) leaves the
    /// configuration as it was and returns an error.
    pub fn apply_conf_change(&mut self, cc: &ConfChange) -> Result<ConfState, RaftError> {
        self.tracker.apply(cc, self.log.last_index() + 1)?;
        self.after_conf_change();
        Ok(self.tracker.conf.clone())
    }

    /// Compacts the log up to `index` (at most the applied index), keeping
    /// `data` as the application's state at `index`. The snapshot records
    /// the current configuration, which is the one at `index` when `index`
    /// is the applied index (the normal case, as in etcd's server).
    pub fn compact(&mut self, index: u64, data: S) -> Result<(), RaftError> {
        if index > self.log.stabled {
            return Err(RaftError::Unavailable);
        }
        let term = self.log.term(index)?;
        self.log.compact(index)?;
        self.storage
            .compact(index, term, self.tracker.conf.clone(), data);
        Ok(())
    }

    pub fn has_ready(&self) -> bool {
        self.soft_state() != self.prev_soft
            || self.hard_state() != self.prev_hard
            || self.pending_snapshot.is_some()
            || !self.msgs.is_empty()
            || !self.log.unstable_entries().is_empty()
            || self.log.has_next_committed_entries()
            || !self.read_states.is_empty()
            || !self.events.is_empty()
    }

    /// Collects what the caller must persist, send and apply. Messages,
    /// read states and events are handed over once; entries and the
    /// snapshot are offered again until [`Raft::advance`] acknowledges them.
    pub fn ready(&mut self) -> Ready<D, S> {
        let soft = self.soft_state();
        let hard = self.hard_state();
        let rd = Ready {
            soft_state: (soft != self.prev_soft).then_some(soft),
            hard_state: (hard != self.prev_hard).then_some(hard),
            read_states: std::mem::take(&mut self.read_states),
            entries: self.log.unstable_entries().to_vec(),
            snapshot: self.pending_snapshot.clone(),
            committed_entries: self.log.next_committed_entries(usize::MAX),
            messages: std::mem::take(&mut self.msgs),
            events: std::mem::take(&mut self.events),
        };
        self.prev_soft = soft;
        rd
    }

    /// The caller persisted and applied `rd`: the node writes the snapshot,
    /// entries and hard state to its storage and moves its applied index.
    pub fn advance(&mut self, rd: Ready<D, S>) {
        if let Some(snap) = rd.snapshot {
            let index = snap.metadata.index;
            if self
                .pending_snapshot
                .as_ref()
                .is_some_and(|p| p.metadata.index == index)
            {
                self.pending_snapshot = None;
            }
            self.storage.apply_snapshot(snap);
            self.log.applied_to(index);
        }
        if let Some(last) = rd.entries.last() {
            self.storage.append(&rd.entries);
            self.log.stable_to(last.index, last.term);
        }
        if let Some(hs) = rd.hard_state {
            self.storage.set_hard_state(hs);
            self.prev_hard = hs;
        }
        if let Some(last) = rd.committed_entries.last() {
            self.log.applied_to(last.index);
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// See [`Config::unsafe_vote_ignores_log`].
    #[doc(hidden)]
    pub fn set_unsafe_vote_ignores_log(&mut self, on: bool) {
        self.cfg.unsafe_vote_ignores_log = on;
    }

    pub fn soft_state(&self) -> SoftState {
        SoftState {
            leader: self.lead,
            role: self.role,
        }
    }

    pub fn hard_state(&self) -> HardState {
        HardState {
            term: self.term,
            vote: self.vote,
            commit: self.log.committed,
        }
    }

    /// The durable state; clone it to simulate a crash (see [`Storage`]).
    pub fn storage(&self) -> &Storage<D, S> {
        &self.storage
    }

    /// The entries held in memory (after the last snapshot), for display.
    pub fn log_entries(&self) -> &[Entry<D>] {
        self.log.entries()
    }

    pub fn status(&self) -> Status {
        let mut progress = std::collections::BTreeMap::new();
        if self.role == Role::Leader {
            progress.extend(self.tracker.progress.iter().map(|(&id, p)| {
                let ps = ProgressStatus {
                    matched: p.matched,
                    next: p.next,
                    state: p.state,
                    is_learner: p.is_learner,
                    recent_active: p.recent_active,
                    inflight: p.inflights.count(),
                };
                (id, Box::new(ps))
            }));
        }
        Status {
            id: self.id,
            hard_state: self.hard_state(),
            soft_state: self.soft_state(),
            applied: self.log.applied,
            progress,
            conf_state: self.tracker.conf.clone(),
            lead_transferee: self.lead_transferee,
            pending_conf_index: self.pending_conf_index,
            log: LogStatus {
                first_index: self.log.first_index(),
                last_index: self.log.last_index(),
                last_term: self.log.last_term(),
                snapshot_index: self.log.snapshot_index(),
                snapshot_term: self.log.snapshot_term(),
                stabled: self.log.stabled,
            },
        }
    }
}
