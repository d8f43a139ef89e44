//! The leader: replication, commitment, heartbeats, ReadIndex and
//! leadership transfer (etcd's `stepLeader` and the `send*`/`bcast*`
//! helpers).

use std::fmt::Debug;

use super::message::{Entry, Message, MessageContext, MessageType, Payload, NONE};
use super::progress::ProgressState;
use super::quorum::{self, VoteResult};
use super::ready::{Event, ReadState};
use super::status::Role;
use super::{Raft, RaftError};

impl<D: Clone + Debug, S: Clone + Debug> Raft<D, S> {
    pub(super) fn step_leader(&mut self, mut m: Message<D, S>) -> Result<(), RaftError> {
        // Messages that need no progress for the sender.
        match m.msg_type {
            MessageType::Beat => {
                self.bcast_heartbeat();
                return Ok(());
            }
            MessageType::CheckQuorum => {
                if let Some(pr) = self.tracker.progress.get_mut(&self.id) {
                    pr.recent_active = true;
                }
                if !self.tracker.quorum_active() {
                    // Raft thesis 6.2: a leader cut off from a quorum steps
                    // down, so clients can find the real leader.
                    self.events
                        .push(Event::CheckQuorumFailed { term: self.term });
                    let term = self.term;
                    self.become_follower(term, NONE);
                }
                let me = self.id;
                for (&id, pr) in self.tracker.progress.iter_mut() {
                    if id != me {
                        pr.recent_active = false;
                    }
                }
                return Ok(());
            }
            MessageType::Prop => {
                if m.entries.is_empty()
                    || !self.tracker.progress.contains_key(&self.id)
                    || self.lead_transferee != NONE
                {
                    return Err(RaftError::ProposalDropped);
                }
                let last = self.log.last_index();
                for (i, e) in m.entries.iter_mut().enumerate() {
                    if matches!(e.payload, Payload::ConfChange(_)) {
                        let index = last + i as u64 + 1;
                        if self.pending_conf_index > self.log.applied {
                            // One conf change at a time: etcd keeps the
                            // entry's slot but empties it.
                            e.payload = Payload::Empty;
                            self.events.push(Event::ConfChangeRefused { index });
                        } else {
                            self.pending_conf_index = index;
                        }
                    }
                }
                self.append_entries(m.entries);
                self.bcast_append();
                return Ok(());
            }
            MessageType::ReadIndex => {
                let MessageContext::Read(ctx) = m.context else {
                    return Ok(());
                };
                if self.tracker.is_singleton() {
                    let committed = self.log.committed;
                    self.answer_read_index(m.from, ctx, committed);
                } else if !self.committed_entry_in_current_term() {
                    // Raft thesis 6.4: until the leader commits an entry of
                    // its term it does not know the latest commit index.
                    self.pending_read_index.push(m);
                } else {
                    self.start_read_index(m.from, ctx);
                }
                return Ok(());
            }
            _ => {}
        }

        if !self.tracker.progress.contains_key(&m.from) {
            return Ok(());
        }
        match m.msg_type {
            MessageType::AppResp => self.handle_append_response(&m),
            MessageType::HeartbeatResp => self.handle_heartbeat_response(&m),
            MessageType::SnapStatus => {
                if let Some(pr) = self.tracker.progress.get_mut(&m.from) {
                    if pr.state == ProgressState::Snapshot {
                        if m.reject {
                            // Probe from before the snapshot that failed.
                            pr.pending_snapshot = 0;
                        }
                        pr.become_probe();
                        // Wait for the follower's answer (or a heartbeat)
                        // before the next append.
                        pr.probe_sent = true;
                    }
                }
            }
            MessageType::Unreachable => {
                // An optimistic stream to an unreachable follower most
                // likely lost messages: probe again.
                if let Some(pr) = self.tracker.progress.get_mut(&m.from) {
                    if pr.state == ProgressState::Replicate {
                        pr.become_probe();
                    }
                }
            }
            MessageType::TransferLeader => self.handle_transfer_leader(m.from),
            _ => {}
        }
        Ok(())
    }

    fn handle_append_response(&mut self, m: &Message<D, S>) {
        let last = self.log.last_index();
        let Some(pr) = self.tracker.progress.get_mut(&m.from) else {
            return;
        };
        pr.recent_active = true;
        if m.reject {
            // Fast backtracking (etcd's findConflictByTerm): skip every
            // index whose term in our log is above the follower's term at
            // its hint, since those probes would fail as well.
            let mut next_probe = m.reject_hint;
            if m.log_term > 0 {
                next_probe = self.log.find_conflict_by_term(m.reject_hint, m.log_term);
            }
            let Some(pr) = self.tracker.progress.get_mut(&m.from) else {
                return;
            };
            if pr.maybe_decr_to(m.index, next_probe) {
                if pr.state == ProgressState::Replicate {
                    pr.become_probe();
                }
                self.send_append(m.from);
            }
            return;
        }
        if m.index > last {
            return; // acknowledges entries we never had: malformed
        }
        let was_paused = pr.is_paused();
        if !pr.maybe_update(m.index) {
            return;
        }
        match pr.state {
            ProgressState::Probe => pr.become_replicate(),
            ProgressState::Snapshot if pr.matched >= pr.pending_snapshot => {
                pr.become_probe();
                pr.become_replicate();
            }
            ProgressState::Replicate => pr.inflights.free_le(m.index),
            ProgressState::Snapshot => {}
        }
        if self.maybe_commit() {
            self.bcast_append();
        } else if was_paused {
            // The follower may be missing our commit index.
            self.send_append(m.from);
        }
        // Fill the window that just opened.
        while self.maybe_send_append(m.from, false) {}
        let caught_up = self
            .tracker
            .progress
            .get(&m.from)
            .is_some_and(|p| p.matched == last);
        if m.from == self.lead_transferee && caught_up {
            self.send(Message::new(MessageType::TimeoutNow, NONE, m.from, 0));
        }
    }

    fn handle_heartbeat_response(&mut self, m: &Message<D, S>) {
        let last = self.log.last_index();
        let Some(pr) = self.tracker.progress.get_mut(&m.from) else {
            return;
        };
        pr.recent_active = true;
        pr.probe_sent = false;
        // Free one slot so a full window cannot stall replication forever.
        if pr.state == ProgressState::Replicate && pr.inflights.full() {
            pr.inflights.free_first_one();
        }
        if pr.matched < last {
            self.send_append(m.from);
        }
        let MessageContext::Read(ctx) = m.context else {
            return;
        };
        let Some(acks) = self.read_only.recv_ack(m.from, ctx) else {
            return;
        };
        let acked = |id| acks.contains(&id).then_some(true);
        if quorum::vote_result(&self.tracker.conf.voters, acked) != VoteResult::Won {
            return;
        }
        for rs in self.read_only.advance(ctx) {
            self.answer_read_index(rs.from, rs.ctx, rs.index);
        }
    }

    fn handle_transfer_leader(&mut self, transferee: u64) {
        if self
            .tracker
            .progress
            .get(&transferee)
            .is_none_or(|p| p.is_learner)
        {
            return;
        }
        if self.lead_transferee != NONE {
            if self.lead_transferee == transferee {
                return; // already under way
            }
            self.abort_leader_transfer();
        }
        if transferee == self.id {
            return;
        }
        // The transfer must finish within one election timeout.
        self.election_elapsed = 0;
        self.lead_transferee = transferee;
        self.events
            .push(Event::LeaderTransferStarted { to: transferee });
        let caught_up = self
            .tracker
            .progress
            .get(&transferee)
            .is_some_and(|p| p.matched == self.log.last_index());
        if caught_up {
            self.send(Message::new(MessageType::TimeoutNow, NONE, transferee, 0));
        } else {
            self.send_append(transferee);
        }
    }

    /// Appends proposals to our log with our term and the next indexes.
    pub(super) fn append_entries(&mut self, mut ents: Vec<Entry<D>>) {
        let last = self.log.last_index();
        for (i, e) in ents.iter_mut().enumerate() {
            e.term = self.term;
            e.index = last + 1 + i as u64;
        }
        let last = self.log.append(&ents);
        if let Some(pr) = self.tracker.progress.get_mut(&self.id) {
            pr.maybe_update(last);
        }
        // A single voter commits on its own.
        self.maybe_commit();
    }

    /// Moves the commit index to what a quorum holds, if it is of our term
    /// (Raft paper 5.4.2), and then answers reads held for that.
    pub(super) fn maybe_commit(&mut self) -> bool {
        let mci = self.tracker.committed();
        if !self.log.maybe_commit(mci, self.term) {
            return false;
        }
        self.events.push(Event::Committed { index: mci });
        if self.role == Role::Leader && !self.pending_read_index.is_empty() {
            for m in std::mem::take(&mut self.pending_read_index) {
                if let MessageContext::Read(ctx) = m.context {
                    self.start_read_index(m.from, ctx);
                }
            }
        }
        true
    }

    fn committed_entry_in_current_term(&self) -> bool {
        self.log.term(self.log.committed) == Ok(self.term)
    }

    /// Safe ReadIndex: remember the commit index, then confirm leadership
    /// with a heartbeat round carrying `ctx`.
    fn start_read_index(&mut self, from: u64, ctx: u64) {
        let committed = self.log.committed;
        self.read_only.add_request(committed, from, ctx);
        let me = self.id;
        self.read_only.recv_ack(me, ctx);
        self.bcast_heartbeat_with(Some(ctx));
    }

    fn answer_read_index(&mut self, from: u64, ctx: u64, index: u64) {
        if from == NONE || from == self.id {
            self.read_states.push(ReadState {
                index,
                request_ctx: ctx,
            });
        } else {
            let mut resp = Message::new(MessageType::ReadIndexResp, NONE, from, 0);
            resp.index = index;
            resp.context = MessageContext::Read(ctx);
            self.send(resp);
        }
    }

    /// Every member but us, voters and learners alike.
    pub(super) fn peers(&self) -> Vec<u64> {
        self.tracker
            .progress
            .keys()
            .copied()
            .filter(|&id| id != self.id)
            .collect()
    }

    pub(super) fn bcast_append(&mut self) {
        for id in self.peers() {
            self.send_append(id);
        }
    }

    fn send_append(&mut self, to: u64) {
        self.maybe_send_append(to, true);
    }

    /// Sends the entries `to` lacks (or a snapshot if they were compacted)
    /// unless its progress is paused; with `send_if_empty` an append
    /// without entries still goes out (it carries the commit index).
    pub(super) fn maybe_send_append(&mut self, to: u64, send_if_empty: bool) -> bool {
        let last = self.log.last_index();
        let committed = self.log.committed;
        let max = self.cfg.max_entries_per_msg;
        let Some(pr) = self.tracker.progress.get_mut(&to) else {
            return false;
        };
        if pr.is_paused() {
            return false;
        }
        pr.next = pr.next.min(last + 1);
        let prev = pr.next - 1;
        let term = self.log.term(prev);
        let ents = if pr.next > last {
            Ok(Vec::new())
        } else {
            self.log.slice(pr.next, last + 1, max)
        };
        if matches!(&ents, Ok(e) if e.is_empty()) && !send_if_empty {
            return false;
        }
        let mut m = Message::new(MessageType::App, NONE, to, 0);
        match (term, ents) {
            (Ok(term), Ok(ents)) => {
                m.index = prev;
                m.log_term = term;
                m.commit = committed;
                if let Some(last_sent) = ents.last().map(|e| e.index) {
                    match pr.state {
                        ProgressState::Replicate => {
                            pr.optimistic_update(last_sent);
                            pr.inflights.add(last_sent);
                        }
                        ProgressState::Probe => pr.probe_sent = true,
                        ProgressState::Snapshot => return false,
                    }
                }
                m.entries = ents;
            }
            _ => {
                // The entries are compacted: send the snapshot instead
                // (Raft paper 7), but only to a follower known to be alive.
                if !pr.recent_active {
                    return false;
                }
                let Some(snap) = self.storage.snapshot() else {
                    return false;
                };
                pr.become_snapshot(snap.metadata.index);
                m.msg_type = MessageType::Snap;
                m.snapshot = Some(Box::new(snap));
            }
        }
        self.send(m);
        true
    }

    fn bcast_heartbeat(&mut self) {
        let ctx = self.read_only.last_pending_ctx();
        self.bcast_heartbeat_with(ctx);
    }

    fn bcast_heartbeat_with(&mut self, ctx: Option<u64>) {
        for id in self.peers() {
            // Never tell a follower to commit past what it is known to
            // hold: its log may still differ beyond `matched`.
            let matched = self.tracker.progress.get(&id).map_or(0, |p| p.matched);
            let mut m = Message::new(MessageType::Heartbeat, NONE, id, 0);
            m.commit = matched.min(self.log.committed);
            if let Some(ctx) = ctx {
                m.context = MessageContext::Read(ctx);
            }
            self.send(m);
        }
    }
}
