//! Majority rules over a set of voters (etcd's `quorum.MajorityConfig`).
//! Learners never appear here: they neither vote nor count toward commit.

use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteResult {
    /// Not decided yet: more answers could still go either way.
    Pending,
    Lost,
    Won,
}

/// The largest index that a majority of `voters` have acknowledged
/// (Raft paper 5.3: "a majority of matchIndex[i] >= N"). An empty voter set
/// commits nothing.
pub fn committed_index(voters: &BTreeSet<u64>, acked: impl Fn(u64) -> u64) -> u64 {
    if voters.is_empty() {
        return 0;
    }
    let mut indexes: Vec<u64> = voters.iter().map(|&id| acked(id)).collect();
    crate::sort::sort_by(&mut indexes, |a, b| a > b);
    // With n voters sorted high to low, the entry at n/2 is held by at least
    // n/2 + 1 voters: a majority.
    indexes[voters.len() / 2]
}

/// Tally of the votes `voters` cast (`vote(id)`: granted or not, `None`
/// if not yet). An empty voter set wins, as etcd's does, so that joint
/// quorums compose.
pub fn vote_result(voters: &BTreeSet<u64>, vote: impl Fn(u64) -> Option<bool>) -> VoteResult {
    if voters.is_empty() {
        return VoteResult::Won;
    }
    let (mut granted, mut missing) = (0usize, 0usize);
    for &id in voters {
        match vote(id) {
            Some(true) => granted += 1,
            Some(false) => {}
            None => missing += 1,
        }
    }
    let quorum = voters.len() / 2 + 1;
    if granted >= quorum {
        VoteResult::Won
    } else if granted + missing >= quorum {
        VoteResult::Pending
    } else {
        VoteResult::Lost
    }
}
