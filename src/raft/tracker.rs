//! The leader's view of the cluster: the configuration, one [`Progress`] per
//! member, and the votes of the current election (etcd's
//! `tracker.ProgressTracker`). Single-step configurations only, so there is
//! never a joint quorum.

use crate::boxed_map::BoxedMap;
use std::collections::BTreeMap;

use super::message::{ConfChange, ConfChangeType, ConfState};
use super::progress::Progress;
use super::quorum::{self, VoteResult};
use super::RaftError;

#[derive(Clone, Debug)]
pub struct ProgressTracker {
    pub conf: ConfState,
    pub progress: BoxedMap<u64, Progress>,
    pub votes: BoxedMap<u64, bool>,
    pub max_inflight: usize,
}

impl ProgressTracker {
    /// A tracker for `conf`, every member to be probed from `next`.
    pub fn new(conf: ConfState, next: u64, max_inflight: usize) -> Self {
        let mut t = ProgressTracker {
            conf: ConfState::default(),
            progress: BTreeMap::new(),
            votes: BTreeMap::new(),
            max_inflight,
        };
        for &id in &conf.voters {
            t.progress
                .insert(id, Box::new(Progress::new(next, max_inflight, false)));
        }
        for &id in &conf.learners {
            t.progress
                .insert(id, Box::new(Progress::new(next, max_inflight, true)));
        }
        t.conf = conf;
        t
    }

    pub fn is_voter(&self, id: u64) -> bool {
        self.conf.voters.contains(&id)
    }

    /// Only one voter, so the leader decides alone.
    pub fn is_singleton(&self) -> bool {
        self.conf.voters.len() == 1
    }

    pub fn committed(&self) -> u64 {
        quorum::committed_index(&self.conf.voters, |id| {
            self.progress.get(&id).map_or(0, |p| p.matched)
        })
    }

    pub fn reset_votes(&mut self) {
        self.votes.clear();
    }

    /// Records the first vote from `id` (later ones for the same election
    /// are ignored) and returns the tally.
    pub fn record_vote(&mut self, id: u64, granted: bool) -> (usize, usize, VoteResult) {
        self.votes.entry(id).or_insert(Box::new(granted));
        let granted = self
            .votes
            .iter()
            .filter(|&(&id, v)| **v && self.is_voter(id))
            .count();
        let rejected = self
            .votes
            .iter()
            .filter(|&(&id, v)| !**v && self.is_voter(id))
            .count();
        (
            granted,
            rejected,
            quorum::vote_result(&self.conf.voters, |id| self.votes.get(&id).map(|v| **v)),
        )
    }

    /// Check quorum (Raft thesis 6.2): did a majority of voters talk to us
    /// during the last election timeout?
    pub fn quorum_active(&self) -> bool {
        let active = |id| self.progress.get(&id).map(|p| p.recent_active);
        quorum::vote_result(&self.conf.voters, active) == VoteResult::Won
    }

    /// Applies a single-step change (etcd's `confchange.Changer.Simple`).
    /// New members are probed from `next`. The configuration is left
    /// untouched when the change is invalid.
    pub fn apply(&mut self, cc: &ConfChange, next: u64) -> Result<(), RaftError> {
        let id = cc.node_id;
        if id == super::NONE {
            return Err(RaftError::InvalidConfChange("node id 0"));
        }
        let mut conf = self.conf.clone();
        match cc.change_type {
            ConfChangeType::AddNode => {
                conf.learners.remove(&id);
                conf.voters.insert(id);
            }
            ConfChangeType::AddLearnerNode => {
                conf.voters.remove(&id);
                conf.learners.insert(id);
            }
            ConfChangeType::RemoveNode => {
                conf.voters.remove(&id);
                conf.learners.remove(&id);
            }
            ConfChangeType::UpdateNode => {}
        }
        if conf.voters.is_empty() {
            return Err(RaftError::InvalidConfChange("removed all voters"));
        }
        let max_inflight = self.max_inflight;
        match cc.change_type {
            ConfChangeType::AddNode | ConfChangeType::AddLearnerNode => {
                let learner = cc.change_type == ConfChangeType::AddLearnerNode;
                let pr = self.progress.entry(id).or_insert_with(|| {
                    let mut p = Progress::new(next, max_inflight, learner);
                    // A new member counts as active, or check quorum could
                    // depose the leader before the newcomer said anything.
                    p.recent_active = true;
                    Box::new(p)
                });
                pr.is_learner = learner;
            }
            ConfChangeType::RemoveNode => {
                self.progress.remove(&id);
                self.votes.remove(&id);
            }
            ConfChangeType::UpdateNode => {}
        }
        self.conf = conf;
        Ok(())
    }
}
