//! A node's log in memory (etcd's `raftLog` with `unstable` folded in):
//! every entry after the last snapshot, plus three marks.
//!
//! ```text
//!   snapshot | entries ...........................................
//!            ^ snap_index   applied <= committed      stabled   last
//! ```
//! `stabled` is how far the caller has persisted (entries after it appear in
//! the next `Ready`); `committed` can pass `stabled` on a leader, as in etcd,
//! because the leader writes to its disk in parallel with its followers.

use super::message::Entry;
use super::RaftError;

/// No log gets anywhere near this index; a peer naming a larger one is
/// sending nonsense, and refusing it keeps `index + 1` from overflowing.
pub const MAX_INDEX: u64 = 1 << 62;

/// What [`RaftLog::maybe_append`] did with an AppendEntries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The log now matches the leader's up to this index.
    Appended(u64),
    /// The log has no entry `(index, log_term)`: reject with a hint.
    Mismatch,
    /// Nonsense that no correct leader sends: ignore.
    Malformed,
}

#[derive(Clone, Debug)]
pub struct RaftLog<D> {
    pub(super) snap_index: u64,
    pub(super) snap_term: u64,
    pub(super) entries: Vec<Entry<D>>,
    pub committed: u64,
    pub applied: u64,
    pub stabled: u64,
}

impl<D: Clone> RaftLog<D> {
    /// A log starting after the snapshot `(snap_index, snap_term)`, holding
    /// `entries` (already persisted).
    pub fn new(snap_index: u64, snap_term: u64, entries: Vec<Entry<D>>) -> Self {
        let mut log = RaftLog {
            snap_index,
            snap_term,
            entries: Vec::new(),
            committed: snap_index,
            applied: snap_index,
            stabled: snap_index,
        };
        // Keep only a contiguous run: storage written by `advance` is, but
        // a log must never be trusted to be.
        for e in entries {
            if e.index != log.last_index() + 1 {
                break;
            }
            log.entries.push(e);
        }
        log.stabled = log.last_index();
        log
    }

    pub fn first_index(&self) -> u64 {
        self.snap_index + 1
    }

    pub fn last_index(&self) -> u64 {
        self.snap_index + self.entries.len() as u64
    }

    pub fn snapshot_index(&self) -> u64 {
        self.snap_index
    }

    pub fn snapshot_term(&self) -> u64 {
        self.snap_term
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.snap_term, |e| e.term)
    }

    pub fn entries(&self) -> &[Entry<D>] {
        &self.entries
    }

    pub fn term(&self, index: u64) -> Result<u64, RaftError> {
        if index == self.snap_index {
            return Ok(self.snap_term);
        }
        if index < self.snap_index {
            return Err(RaftError::Compacted);
        }
        if index > self.last_index() {
            return Err(RaftError::Unavailable);
        }
        Ok(self.entries[(index - self.snap_index - 1) as usize].term)
    }

    pub fn match_term(&self, index: u64, term: u64) -> bool {
        self.term(index) == Ok(term)
    }

    /// Raft paper 5.4.1: a candidate's log is at least as up-to-date as ours
    /// if its last term is higher, or equal with an index at least as high.
    pub fn is_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
    }

    /// Entries `lo..hi` (hi exclusive), at most `max` of them.
    pub fn slice(&self, lo: u64, hi: u64, max: usize) -> Result<Vec<Entry<D>>, RaftError> {
        if lo <= self.snap_index {
            return Err(RaftError::Compacted);
        }
        let hi = hi.min(self.last_index() + 1);
        if lo > hi {
            return Err(RaftError::Unavailable);
        }
        let start = (lo - self.snap_index - 1) as usize;
        let end = (hi - self.snap_index - 1) as usize;
        let end = end.min(start.saturating_add(max));
        Ok(self.entries[start..end].to_vec())
    }

    /// Appends entries whose indexes continue the log or overwrite its
    /// uncommitted tail; returns the new last index.
    pub fn append(&mut self, ents: &[Entry<D>]) -> u64 {
        if let Some(first) = ents.first() {
            if first.index > self.committed && first.index <= self.last_index() + 1 {
                self.entries
                    .truncate((first.index - self.snap_index - 1) as usize);
                self.stabled = self.stabled.min(first.index - 1);
                self.entries.extend_from_slice(ents);
            }
        }
        self.last_index()
    }

    /// The first entry of `ents` whose term differs from ours at its index
    /// (or that we do not have); 0 if we hold all of them already.
    fn find_conflict(&self, ents: &[Entry<D>]) -> u64 {
        ents.iter()
            .find(|e| !self.match_term(e.index, e.term))
            .map_or(0, |e| e.index)
    }

    /// The largest index `<= index` whose term is `<= term`: where our log
    /// and a log with `term` at `index` might still agree (etcd's
    /// `findConflictByTerm`, the fast backtracking of Raft paper 5.3).
    pub fn find_conflict_by_term(&self, index: u64, term: u64) -> u64 {
        if index > self.last_index() {
            return index;
        }
        let mut i = index;
        loop {
            match self.term(i) {
                Ok(t) if t > term => i -= 1,
                _ => return i,
            }
        }
    }

    /// The follower side of AppendEntries (Raft paper 5.3, Figure 2 rules
    /// 2 to 5). A malformed message (non-contiguous entries, or one that
    /// would overwrite a committed entry) changes nothing: a peer message
    /// must never corrupt the log.
    pub fn maybe_append(
        &mut self,
        index: u64,
        log_term: u64,
        commit: u64,
        ents: &[Entry<D>],
    ) -> AppendOutcome {
        if !self.match_term(index, log_term) {
            return AppendOutcome::Mismatch;
        }
        let contiguous = ents
            .iter()
            .enumerate()
            .all(|(i, e)| Some(e.index) == index.checked_add(i as u64 + 1));
        if !contiguous || index.saturating_add(ents.len() as u64) > MAX_INDEX {
            return AppendOutcome::Malformed;
        }
        let last_new = index + ents.len() as u64;
        let conflict = self.find_conflict(ents);
        if conflict != 0 {
            if conflict <= self.committed {
                return AppendOutcome::Malformed; // etcd panics here
            }
            self.append(&ents[(conflict - index - 1) as usize..]);
        }
        self.commit_to(commit.min(last_new));
        AppendOutcome::Appended(last_new)
    }

    /// Raises the commit index (never lowers it, never past the log).
    pub fn commit_to(&mut self, commit: u64) {
        if commit > self.committed && commit <= self.last_index() {
            self.committed = commit;
        }
    }

    /// Raft paper 5.4.2: a leader commits by counting replicas only entries
    /// of its own term; earlier ones are committed indirectly.
    pub fn maybe_commit(&mut self, max_index: u64, term: u64) -> bool {
        if max_index > self.committed && self.term(max_index) == Ok(term) {
            self.committed = max_index;
            return true;
        }
        false
    }

    /// Entries the caller has not persisted yet.
    pub fn unstable_entries(&self) -> &[Entry<D>] {
        let from = self.stabled.saturating_sub(self.snap_index) as usize;
        self.entries.get(from..).unwrap_or(&[])
    }

    /// Committed entries not yet applied, after any snapshot still pending.
    pub fn next_committed_entries(&self, max: usize) -> Vec<Entry<D>> {
        let lo = self.applied.max(self.snap_index) + 1;
        if self.committed < lo {
            return Vec::new();
        }
        self.slice(lo, self.committed + 1, max).unwrap_or_default()
    }

    pub fn has_next_committed_entries(&self) -> bool {
        self.committed > self.applied.max(self.snap_index)
    }

    /// The caller persisted entries up to `(index, term)`; ignored if the
    /// tail was overwritten meanwhile.
    pub fn stable_to(&mut self, index: u64, term: u64) {
        if index > self.stabled && self.match_term(index, term) {
            self.stabled = index;
        }
    }

    pub fn applied_to(&mut self, index: u64) {
        if index > self.applied && index <= self.committed {
            self.applied = index;
        }
    }

    /// Replaces the log with a snapshot ending at `(index, term)`.
    pub fn restore(&mut self, index: u64, term: u64) {
        self.entries.clear();
        self.snap_index = index;
        self.snap_term = term;
        self.committed = index;
        self.stabled = index;
    }

    /// Drops entries up to `index` (compaction after a snapshot was taken).
    pub fn compact(&mut self, index: u64) -> Result<(), RaftError> {
        if index <= self.snap_index {
            return Err(RaftError::SnapOutOfDate);
        }
        if index > self.applied {
            return Err(RaftError::Unavailable);
        }
        let term = self.term(index)?;
        self.entries.drain(..(index - self.snap_index) as usize);
        self.snap_index = index;
        self.snap_term = term;
        Ok(())
    }
}
