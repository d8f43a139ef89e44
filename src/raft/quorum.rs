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
    // Runs at every acknowledgement: an insertion sort, high to low, of a
    // few numbers (a cluster has a handful of voters).
    let mut indexes: Vec<u64> = Vec::with_capacity(voters.len());
    for &id in voters {
        let index = acked(id);
        let at = indexes
            .iter()
            .position(|&i| i < index)
            .unwrap_or(indexes.len());
        indexes.insert(at, index);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed index is the highest one a majority of voters holds:
    /// checked against every voter's count of holders, for every
    /// acknowledgement pattern of up to 7 voters over indexes 0..4.
    #[test]
    fn the_committed_index_is_the_highest_a_majority_holds() {
        for n in 1..=7u64 {
            let voters: BTreeSet<u64> = (1..=n).collect();
            for pattern in 0..4u64.pow(n as u32) {
                let acked = |id: u64| pattern / 4u64.pow(id as u32 - 1) % 4;
                let majority = n / 2 + 1;
                let expected = (0..4)
                    .rev()
                    .find(|&i| voters.iter().filter(|&&v| acked(v) >= i).count() as u64 >= majority)
                    .unwrap_or(0);
                assert_eq!(
                    committed_index(&voters, acked),
                    expected,
                    "{n} voters, {pattern}"
                );
            }
        }
        assert_eq!(committed_index(&BTreeSet::new(), |_| 9), 0);
    }
}
