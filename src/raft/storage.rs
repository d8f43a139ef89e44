//! The durable part of a node: what is on "disk" and survives a crash.
//!
//! The node owns its `Storage` and writes to it only in
//! [`crate::raft::Raft::advance`], i.e. when the caller acknowledges a
//! [`crate::raft::Ready`] as persisted. A crash is simulated by cloning the
//! storage, dropping the node and calling [`crate::raft::Raft::restart`]:
//! whatever was not advanced is lost, exactly like unsynced writes.

use super::message::{ConfState, Entry, HardState, Snapshot, SnapshotMetadata};

#[derive(Clone, Debug)]
pub struct Storage<D, S> {
    pub(super) hard_state: HardState,
    /// Where the log starts: entries up to `snapshot.index` are compacted.
    /// A fresh node has index 0, term 0 and its initial configuration here.
    pub(super) snapshot: SnapshotMetadata,
    /// The application state at `snapshot.index`; None until the first
    /// compaction (or received snapshot).
    pub(super) snapshot_data: Option<S>,
    /// Entries `snapshot.index + 1 ..= last_index()`.
    pub(super) entries: Vec<Entry<D>>,
}

impl<D: Clone, S: Clone> Storage<D, S> {
    pub(crate) fn new(conf_state: ConfState) -> Self {
        Storage {
            hard_state: HardState::default(),
            snapshot: SnapshotMetadata {
                index: 0,
                term: 0,
                conf_state,
            },
            snapshot_data: None,
            entries: Vec::new(),
        }
    }

    pub fn hard_state(&self) -> HardState {
        self.hard_state
    }

    pub fn snapshot_metadata(&self) -> &SnapshotMetadata {
        &self.snapshot
    }

    /// The latest snapshot, if one was ever taken or received.
    pub fn snapshot(&self) -> Option<Snapshot<S>> {
        self.snapshot_data.as_ref().map(|data| Snapshot {
            metadata: self.snapshot.clone(),
            data: data.clone(),
        })
    }

    pub fn entries(&self) -> &[Entry<D>] {
        &self.entries
    }

    pub fn first_index(&self) -> u64 {
        self.snapshot.index + 1
    }

    pub fn last_index(&self) -> u64 {
        self.snapshot.index + self.entries.len() as u64
    }

    pub(crate) fn set_hard_state(&mut self, hs: HardState) {
        self.hard_state = hs;
    }

    /// Writes `entries`, replacing any stored entries from the first new
    /// index on (a leader may have overwritten an uncommitted tail).
    pub(crate) fn append(&mut self, entries: &[Entry<D>]) {
        let first_new = self.first_index();
        for e in entries {
            if e.index < first_new {
                continue; // already covered by the snapshot
            }
            let offset = (e.index - first_new) as usize;
            if offset > self.entries.len() {
                break; // a gap: cannot happen for entries from Ready
            }
            self.entries.truncate(offset);
            self.entries.push(e.clone());
        }
    }

    /// Replaces everything with a snapshot received from the leader.
    pub(crate) fn apply_snapshot(&mut self, snap: Snapshot<S>) {
        if snap.metadata.index <= self.snapshot.index && self.snapshot_data.is_some() {
            return; // out of date
        }
        self.entries.clear();
        self.hard_state.commit = self.hard_state.commit.max(snap.metadata.index);
        self.snapshot = snap.metadata;
        self.snapshot_data = Some(snap.data);
    }

    /// Drops entries up to `index` (which must be stored), keeping `data` as
    /// the application state there.
    pub(crate) fn compact(&mut self, index: u64, term: u64, conf_state: ConfState, data: S) {
        if index <= self.snapshot.index || index > self.last_index() {
            return;
        }
        let drop = (index - self.snapshot.index) as usize;
        self.entries.drain(..drop);
        self.snapshot = SnapshotMetadata {
            index,
            term,
            conf_state,
        };
        self.snapshot_data = Some(data);
    }
}
