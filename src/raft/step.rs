//! Term rules, elections and role changes: the part of `Step` that every
//! role shares (etcd's `raft.Step`, `campaign`, `become*`, `tick*`).

use std::fmt::Debug;

use super::message::{Message, MessageContext, MessageType, Payload, NONE};
use super::progress::Progress;
use super::quorum::VoteResult;
use super::read_only::ReadOnly;
use super::ready::Event;
use super::status::Role;
use super::{Raft, RaftError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CampaignType {
    /// Pre-vote round: ask whether we would win, without raising our term.
    PreElection,
    Election,
    /// Election ordered by the leader (`TimeoutNow`): no pre-vote, and
    /// voters set aside their leader lease.
    Transfer,
}

impl<D: Clone + Debug, S: Clone + Debug> Raft<D, S> {
    pub(super) fn step_inner(&mut self, m: Message<D, S>) -> Result<(), RaftError> {
        if m.term > self.term {
            let is_vote = matches!(m.msg_type, MessageType::Vote | MessageType::PreVote);
            if is_vote {
                let force = m.context == MessageContext::CampaignTransfer;
                let in_lease = self.cfg.check_quorum
                    && self.lead != NONE
                    && self.election_elapsed < self.cfg.election_tick;
                if !force && in_lease {
                    // Raft thesis 4.2.3: a node that heard from its leader
                    // within the minimum election timeout neither raises its
                    // term nor votes, so a removed or partitioned node
                    // cannot depose a healthy leader.
                    self.events.push(Event::VoteIgnoredInLease {
                        candidate: m.from,
                        term: m.term,
                    });
                    return Ok(());
                }
            }
            match m.msg_type {
                // A pre-vote never changes the voter's term.
                MessageType::PreVote => {}
                // A granted pre-vote carries the term we will campaign at;
                // we raise our term when we win the pre-vote, not before.
                MessageType::PreVoteResp if !m.reject => {}
                MessageType::App | MessageType::Heartbeat | MessageType::Snap => {
                    self.become_follower(m.term, m.from);
                }
                // Raft paper 5.1: any higher term makes us a follower.
                _ => self.become_follower(m.term, NONE),
            }
        } else if m.term != 0 && m.term < self.term {
            if (self.cfg.check_quorum || self.cfg.pre_vote)
                && matches!(m.msg_type, MessageType::Heartbeat | MessageType::App)
            {
                // A leader of an older term. With check-quorum or pre-vote
                // our higher term may come from a failed campaign that never
                // reaches the others; answering with our term lets that
                // leader step down and the cluster move on (etcd raft.go).
                self.send(Message::new(MessageType::AppResp, NONE, m.from, 0));
            } else if m.msg_type == MessageType::PreVote {
                // Reject rather than drop, or a pre-candidate with a lower
                // term could wait forever.
                let mut resp = Message::new(MessageType::PreVoteResp, NONE, m.from, self.term);
                resp.reject = true;
                self.send(resp);
            }
            // Raft paper 5.1: anything else with a stale term is ignored.
            return Ok(());
        }

        match m.msg_type {
            MessageType::Hup => {
                let t = if self.cfg.pre_vote {
                    CampaignType::PreElection
                } else {
                    CampaignType::Election
                };
                self.hup(t);
                Ok(())
            }
            MessageType::Vote | MessageType::PreVote => {
                self.handle_vote_request(m);
                Ok(())
            }
            _ => match self.role {
                Role::Leader => self.step_leader(m),
                Role::Candidate | Role::PreCandidate => self.step_candidate(m),
                Role::Follower => self.step_follower(m),
            },
        }
    }

    /// Raft paper 5.2 and 5.4.1: grant at most one vote per term, and only
    /// to a candidate whose log is at least as up-to-date as ours.
    fn handle_vote_request(&mut self, m: Message<D, S>) {
        let pre_vote = m.msg_type == MessageType::PreVote;
        let can_vote = self.vote == m.from
            || (self.vote == NONE && self.lead == NONE)
            || (pre_vote && m.term > self.term);
        let up_to_date =
            self.cfg.unsafe_vote_ignores_log || self.log.is_up_to_date(m.index, m.log_term);
        let granted = can_vote && up_to_date;
        self.events.push(Event::Voted {
            candidate: m.from,
            term: m.term,
            pre_vote,
            granted,
        });
        // A granted answer carries the candidate's term: a pre-candidate
        // ignores answers from terms other than the one it asked for.
        let term = if granted { m.term } else { self.term };
        let mut resp = Message::new(m.msg_type.vote_response(), NONE, m.from, term);
        resp.reject = !granted;
        self.send(resp);
        if granted && !pre_vote {
            self.election_elapsed = 0;
            self.vote = m.from;
        }
    }

    pub(super) fn hup(&mut self, t: CampaignType) {
        if self.role == Role::Leader || !self.promotable() {
            return;
        }
        // A committed but unapplied conf change might remove us or change
        // the quorum: wait until the caller applied it (etcd does too).
        let unapplied = self.log.next_committed_entries(usize::MAX);
        if unapplied
            .iter()
            .any(|e| matches!(e.payload, Payload::ConfChange(_)))
        {
            return;
        }
        self.campaign_as(t);
    }

    pub(super) fn campaign_as(&mut self, t: CampaignType) {
        let (vote_type, term) = if t == CampaignType::PreElection {
            self.become_pre_candidate();
            // Ask for the term we would use, without moving to it.
            (MessageType::PreVote, self.term.saturating_add(1))
        } else {
            self.become_candidate();
            (MessageType::Vote, self.term)
        };
        if self.tracker.record_vote(self.id, true).2 == VoteResult::Won {
            // A single voter wins its own election.
            if t == CampaignType::PreElection {
                self.campaign_as(CampaignType::Election);
            } else {
                self.become_leader();
            }
            return;
        }
        let me = self.id;
        let voters: Vec<u64> = self.tracker.conf.voters.iter().copied().collect();
        for id in voters.into_iter().filter(|&id| id != me) {
            let mut m = Message::new(vote_type, NONE, id, term);
            m.index = self.log.last_index();
            m.log_term = self.log.last_term();
            if t == CampaignType::Transfer {
                m.context = MessageContext::CampaignTransfer;
            }
            self.send(m);
        }
    }

    /// Only a voter without a pending snapshot may campaign.
    pub(super) fn promotable(&self) -> bool {
        self.tracker.is_voter(self.id) && self.pending_snapshot.is_none()
    }

    fn reset(&mut self, term: u64) {
        if term != self.term {
            self.term = term;
            self.vote = NONE;
        }
        self.lead = NONE;
        self.election_elapsed = 0;
        self.heartbeat_elapsed = 0;
        let spread = self.rng.below(self.cfg.election_tick);
        self.randomized_election_timeout = self.cfg.election_tick + spread;
        self.abort_leader_transfer();
        self.tracker.reset_votes();
        let last = self.log.last_index();
        let max_inflight = self.cfg.max_inflight;
        for (&id, pr) in self.tracker.progress.iter_mut() {
            let mut fresh = Progress::new(last + 1, max_inflight, pr.is_learner);
            if id == self.id {
                fresh.matched = last;
            }
            **pr = fresh;
        }
        self.pending_conf_index = 0;
        self.read_only = ReadOnly::default();
        self.pending_read_index.clear();
    }

    pub(super) fn become_follower(&mut self, term: u64, lead: u64) {
        self.reset(term);
        self.lead = lead;
        self.role = Role::Follower;
        self.events
            .push(Event::BecameFollower { term, leader: lead });
    }

    fn become_pre_candidate(&mut self) {
        // Unlike a candidate, a pre-candidate keeps its term and vote.
        self.tracker.reset_votes();
        self.lead = NONE;
        self.role = Role::PreCandidate;
        self.events
            .push(Event::BecamePreCandidate { term: self.term });
    }

    fn become_candidate(&mut self) {
        self.reset(self.term.saturating_add(1));
        self.vote = self.id;
        self.role = Role::Candidate;
        self.events.push(Event::BecameCandidate { term: self.term });
    }

    pub(super) fn become_leader(&mut self) {
        self.reset(self.term);
        self.lead = self.id;
        self.role = Role::Leader;
        if let Some(pr) = self.tracker.progress.get_mut(&self.id) {
            pr.become_replicate();
        }
        // Conservatively treat any entry in the log as a possible pending
        // conf change (etcd sets pendingConfIndex to the last index).
        self.pending_conf_index = self.log.last_index();
        self.events.push(Event::BecameLeader { term: self.term });
        // Raft paper 8: an empty entry of our term lets us commit (and so
        // learn the commit index of) everything before it.
        self.append_entries(vec![super::Entry {
            term: 0,
            index: 0,
            payload: Payload::Empty,
        }]);
    }

    /// Queues a message; fills in `from` and, except for vote traffic and
    /// forwarded requests, our term.
    pub(super) fn send(&mut self, mut m: Message<D, S>) {
        if m.from == NONE {
            m.from = self.id;
        }
        match m.msg_type {
            // Vote traffic carries the term chosen by the caller.
            MessageType::Vote
            | MessageType::VoteResp
            | MessageType::PreVote
            | MessageType::PreVoteResp => {}
            // Forwarded requests travel with term 0, like local messages.
            MessageType::Prop | MessageType::ReadIndex => m.term = 0,
            _ => m.term = self.term,
        }
        self.msgs.push(m);
    }

    pub(super) fn tick_election(&mut self) {
        self.election_elapsed += 1;
        if self.promotable() && self.election_elapsed >= self.randomized_election_timeout {
            self.election_elapsed = 0;
            let _ = self.step_inner(Message::new(MessageType::Hup, self.id, self.id, 0));
        }
    }

    pub(super) fn tick_heartbeat(&mut self) {
        self.heartbeat_elapsed += 1;
        self.election_elapsed += 1;
        if self.election_elapsed >= self.cfg.election_tick {
            self.election_elapsed = 0;
            if self.cfg.check_quorum {
                let _ =
                    self.step_inner(Message::new(MessageType::CheckQuorum, self.id, self.id, 0));
            }
            // A transfer that did not finish within an election timeout
            // is abandoned, and proposals are accepted again.
            if self.role == Role::Leader && self.lead_transferee != NONE {
                self.abort_leader_transfer();
            }
        }
        if self.role != Role::Leader {
            return;
        }
        if self.heartbeat_elapsed >= self.cfg.heartbeat_tick {
            self.heartbeat_elapsed = 0;
            let _ = self.step_inner(Message::new(MessageType::Beat, self.id, self.id, 0));
        }
    }

    pub(super) fn abort_leader_transfer(&mut self) {
        if self.lead_transferee != NONE {
            self.events.push(Event::LeaderTransferAborted {
                to: self.lead_transferee,
            });
            self.lead_transferee = NONE;
        }
    }

    /// Reacts to a configuration just applied (etcd's `switchToConfig`).
    pub(super) fn after_conf_change(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        if !self.tracker.is_voter(self.id) {
            // A leader removed (or demoted) by its own conf change hands
            // over to the most caught-up voter and steps down, so the
            // cluster need not wait an election timeout.
            let last = self.log.last_index();
            let best = self
                .tracker
                .conf
                .voters
                .iter()
                .filter_map(|id| self.tracker.progress.get(id).map(|p| (p.matched, *id)))
                .max();
            if let Some((matched, id)) = best {
                if matched == last {
                    self.send(Message::new(MessageType::TimeoutNow, NONE, id, 0));
                }
            }
            let term = self.term;
            self.become_follower(term, NONE);
            return;
        }
        // The quorum may have shrunk: something may commit now.
        if self.maybe_commit() {
            self.bcast_append();
        } else {
            let peers: Vec<u64> = self.peers();
            for id in peers {
                self.maybe_send_append(id, false);
            }
        }
        if self.lead_transferee != NONE && !self.tracker.is_voter(self.lead_transferee) {
            self.abort_leader_transfer();
        }
    }
}
