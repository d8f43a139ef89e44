//! What a leader knows about one follower's log (etcd's `tracker.Progress`),
//! and the flow control window of appends in flight.

use std::collections::VecDeque;

/// How the leader is currently replicating to a follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProgressState {
    /// The leader does not know where the follower's log matches: it sends
    /// one append at a time and waits for the answer (Raft paper 5.3).
    Probe,
    /// The follower's log matches up to `matched`; appends are streamed
    /// optimistically, bounded by the inflight window.
    Replicate,
    /// The entries the follower needs were compacted; a snapshot is on its
    /// way and appends pause until it is acknowledged.
    Snapshot,
}

/// The last indexes of appends sent but not yet acknowledged, at most `cap`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inflights {
    pub(super) cap: usize,
    pub(super) queue: VecDeque<u64>,
}

impl Inflights {
    pub fn new(cap: usize) -> Self {
        Inflights {
            cap: cap.max(1),
            queue: VecDeque::new(),
        }
    }
    pub fn full(&self) -> bool {
        self.queue.len() >= self.cap
    }
    pub fn add(&mut self, last: u64) {
        self.queue.push_back(last);
    }
    /// Acknowledged up to `to`: every append ending at or before it landed.
    pub fn free_le(&mut self, to: u64) {
        while self.queue.front().is_some_and(|&i| i <= to) {
            self.queue.pop_front();
        }
    }
    pub fn free_first_one(&mut self) {
        self.queue.pop_front();
    }
    pub fn reset(&mut self) {
        self.queue.clear();
    }
    pub fn count(&self) -> usize {
        self.queue.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Highest index known to match the leader's log (Figure 2 `matchIndex`).
    pub matched: u64,
    /// Next index to send (Figure 2 `nextIndex`).
    pub next: u64,
    pub state: ProgressState,
    /// In `Snapshot` state: the index of the snapshot sent.
    pub pending_snapshot: u64,
    /// Heard from during the current check-quorum period.
    pub recent_active: bool,
    /// In `Probe` state: an append is out, wait for its answer (or the next
    /// heartbeat answer) before sending another.
    pub probe_sent: bool,
    pub inflights: Inflights,
    pub is_learner: bool,
}

impl Progress {
    pub fn new(next: u64, max_inflight: usize, is_learner: bool) -> Self {
        Progress {
            matched: 0,
            next: next.max(1),
            state: ProgressState::Probe,
            pending_snapshot: 0,
            recent_active: false,
            probe_sent: false,
            inflights: Inflights::new(max_inflight),
            is_learner,
        }
    }

    fn reset_state(&mut self, state: ProgressState) {
        self.probe_sent = false;
        self.pending_snapshot = 0;
        self.state = state;
        self.inflights.reset();
    }

    pub fn become_probe(&mut self) {
        // After a snapshot, probe from just past it: the follower holds at
        // least the snapshot if it applied it.
        if self.state == ProgressState::Snapshot {
            let pending = self.pending_snapshot;
            self.reset_state(ProgressState::Probe);
            self.next = self.matched.max(pending).saturating_add(1);
        } else {
            self.reset_state(ProgressState::Probe);
            self.next = self.matched.saturating_add(1);
        }
    }

    pub fn become_replicate(&mut self) {
        self.reset_state(ProgressState::Replicate);
        self.next = self.matched.saturating_add(1);
    }

    pub fn become_snapshot(&mut self, snapshot_index: u64) {
        self.reset_state(ProgressState::Snapshot);
        self.pending_snapshot = snapshot_index;
    }

    /// The follower acknowledged its log up to `n`. Returns false for a
    /// stale acknowledgement that teaches nothing new.
    pub fn maybe_update(&mut self, n: u64) -> bool {
        let updated = self.matched < n;
        if updated {
            self.matched = n;
            self.probe_sent = false;
        }
        self.next = self.next.max(n.saturating_add(1));
        updated
    }

    /// Entries up to `last` were sent while replicating: assume they land.
    pub fn optimistic_update(&mut self, last: u64) {
        self.next = last.saturating_add(1);
    }

    /// The follower rejected an append at index `rejected`, hinting that its
    /// log may match up to `match_hint`. Returns false when the rejection is
    /// stale (it answers an older probe) and must be ignored.
    pub fn maybe_decr_to(&mut self, rejected: u64, match_hint: u64) -> bool {
        if self.state == ProgressState::Replicate {
            // Anything at or below `matched` was acknowledged already.
            if rejected <= self.matched {
                return false;
            }
            self.next = self.matched.saturating_add(1);
            return true;
        }
        // In probe state only the answer to the latest probe counts.
        if self.next.saturating_sub(1) != rejected {
            return false;
        }
        self.next = rejected.min(match_hint.saturating_add(1)).max(1);
        self.probe_sent = false;
        true
    }

    /// Whether the leader should hold further appends to this follower.
    pub fn is_paused(&self) -> bool {
        match self.state {
            ProgressState::Probe => self.probe_sent,
            ProgressState::Replicate => self.inflights.full(),
            ProgressState::Snapshot => true,
        }
    }
}
