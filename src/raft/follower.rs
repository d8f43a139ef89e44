//! Followers and candidates (etcd's `stepFollower`, `stepCandidate` and
//! the `handle*` functions for what a leader sends).

use std::fmt::Debug;

use super::log::{AppendOutcome, MAX_INDEX};
use super::message::{Message, MessageContext, MessageType, Snapshot, NONE};
use super::quorum::VoteResult;
use super::ready::{Event, ReadState};
use super::status::Role;
use super::step::CampaignType;
use super::tracker::ProgressTracker;
use super::{Raft, RaftError};

impl<D: Clone + Debug, S: Clone + Debug> Raft<D, S> {
    /// Shared by candidates and pre-candidates.
    pub(super) fn step_candidate(&mut self, m: Message<D, S>) -> Result<(), RaftError> {
        // A candidate may still receive pre-vote answers from its pre-vote
        // round; only answers to the current round count.
        let my_response = if self.role == Role::PreCandidate {
            MessageType::PreVoteResp
        } else {
            MessageType::VoteResp
        };
        match m.msg_type {
            MessageType::Prop => return Err(RaftError::ProposalDropped),
            // Raft paper 5.2: a leader of our term exists; step down.
            MessageType::App => {
                self.become_follower(m.term, m.from);
                self.handle_append_entries(&m);
            }
            MessageType::Heartbeat => {
                self.become_follower(m.term, m.from);
                self.handle_heartbeat(&m);
            }
            MessageType::Snap => {
                self.become_follower(m.term, m.from);
                self.handle_snapshot(m);
            }
            t if t == my_response => {
                match self.tracker.record_vote(m.from, !m.reject).2 {
                    VoteResult::Won => {
                        if self.role == Role::PreCandidate {
                            self.campaign_as(CampaignType::Election);
                        } else {
                            self.become_leader();
                            self.bcast_append();
                        }
                    }
                    VoteResult::Lost => {
                        // A pre-vote answer carries a future term; keep ours.
                        let term = self.term;
                        self.become_follower(term, NONE);
                    }
                    VoteResult::Pending => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn step_follower(&mut self, mut m: Message<D, S>) -> Result<(), RaftError> {
        match m.msg_type {
            MessageType::Prop => {
                if self.lead == NONE {
                    return Err(RaftError::ProposalDropped);
                }
                m.to = self.lead;
                m.from = NONE;
                self.send(m);
            }
            MessageType::App => {
                self.election_elapsed = 0;
                self.lead = m.from;
                self.handle_append_entries(&m);
            }
            MessageType::Heartbeat => {
                self.election_elapsed = 0;
                self.lead = m.from;
                self.handle_heartbeat(&m);
            }
            MessageType::Snap => {
                self.election_elapsed = 0;
                self.lead = m.from;
                self.handle_snapshot(m);
            }
            MessageType::TransferLeader if self.lead != NONE => {
                m.to = self.lead;
                self.send(m);
            }
            MessageType::TimeoutNow => {
                // Leadership transfer skips pre-vote: the leader itself
                // asked, so we are not recovering from a partition.
                self.hup(CampaignType::Transfer);
            }
            // Without a leader the request is dropped; the caller times out.
            MessageType::ReadIndex if self.lead != NONE => {
                m.to = self.lead;
                m.from = NONE;
                self.send(m);
            }
            MessageType::ReadIndexResp => {
                if let MessageContext::Read(ctx) = m.context {
                    self.read_states.push(ReadState {
                        index: m.index,
                        request_ctx: ctx,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Raft paper 5.3: accept the entries if our log holds the entry before
    /// them, else reject with a hint for fast backtracking.
    pub(super) fn handle_append_entries(&mut self, m: &Message<D, S>) {
        if m.index < self.log.committed {
            // Everything up to our commit index matches any leader's log.
            let mut resp = Message::new(MessageType::AppResp, NONE, m.from, 0);
            resp.index = self.log.committed;
            self.send(resp);
            return;
        }
        match self
            .log
            .maybe_append(m.index, m.log_term, m.commit, &m.entries)
        {
            AppendOutcome::Appended(last) => {
                let mut resp = Message::new(MessageType::AppResp, NONE, m.from, 0);
                resp.index = last;
                self.send(resp);
            }
            AppendOutcome::Mismatch => {
                // The largest index at or before the probe whose term is at
                // most the probe's term: the leader's log cannot match
                // anything above it (etcd's findConflictByTerm).
                let hint = m.index.min(self.log.last_index());
                let hint = self.log.find_conflict_by_term(hint, m.log_term);
                let mut resp = Message::new(MessageType::AppResp, NONE, m.from, 0);
                resp.index = m.index;
                resp.reject = true;
                resp.reject_hint = hint;
                resp.log_term = self.log.term(hint).unwrap_or(0);
                self.send(resp);
            }
            AppendOutcome::Malformed => {}
        }
    }

    fn handle_heartbeat(&mut self, m: &Message<D, S>) {
        self.log.commit_to(m.commit);
        let mut resp = Message::new(MessageType::HeartbeatResp, NONE, m.from, 0);
        resp.context = m.context;
        self.send(resp);
    }

    fn handle_snapshot(&mut self, mut m: Message<D, S>) {
        let Some(snap) = m.snapshot.take() else {
            return;
        };
        let mut resp = Message::new(MessageType::AppResp, NONE, m.from, 0);
        resp.index = if self.restore(*snap) {
            self.log.last_index()
        } else {
            self.log.committed
        };
        self.send(resp);
    }

    /// Installs a snapshot from the leader (Raft paper 7). Returns false if
    /// it was ignored: outdated, not for a member, or our log already holds
    /// its last entry (then it only moves our commit index).
    fn restore(&mut self, snap: Snapshot<S>) -> bool {
        let (index, term) = (snap.metadata.index, snap.metadata.term);
        if index <= self.log.committed || index > MAX_INDEX {
            return false;
        }
        if self.role != Role::Follower {
            // Cannot happen (the caller made us a follower); defend anyway.
            let next = self.term.saturating_add(1);
            self.become_follower(next, NONE);
            return false;
        }
        if !snap.metadata.conf_state.contains(self.id) {
            return false;
        }
        if self.log.match_term(index, term) {
            self.log.commit_to(index);
            return false;
        }
        self.log.restore(index, term);
        self.tracker = ProgressTracker::new(
            snap.metadata.conf_state.clone(),
            self.log.last_index() + 1,
            self.cfg.max_inflight,
        );
        self.events.push(Event::SnapshotRestored { index, term });
        self.pending_snapshot = Some(snap);
        true
    }
}
