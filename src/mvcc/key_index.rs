//! The revisions of one key, in generations (etcd `key_index.go`).
//!
//! A generation runs from the put that creates the key to the tombstone that
//! deletes it; the last generation is the open one (empty while the key does
//! not exist). For example put(1); put(2); tombstone(3); put(4); tombstone(5)
//! gives the generations `{1, 2, 3(t)}`, `{4, 5(t)}`, `{}`.
//!
//! Compaction at `at` removes, per key, every revision `<= at` except the
//! largest one of the generation still alive at `at`, so the key's value at
//! the compaction revision stays readable. A generation whose tombstone is
//! `<= at` disappears entirely, and a key left with only the empty open
//! generation is dropped from the index.

use std::collections::BTreeSet;
use std::fmt;

use super::Revision;

/// The key does not exist at the requested revision (etcd
/// `ErrRevisionNotFound`); never shown to users, the store turns it into
/// "no such key".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionNotFound;

impl fmt::Display for RevisionNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mvcc: revision not found")
    }
}

impl std::error::Error for RevisionNotFound {}

/// One life of a key: from its creation to its deletion (the tombstone is the
/// last revision of every generation but the open one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generation {
    /// Number of changes in this generation, including compacted ones, so
    /// versions stay right after compaction.
    pub(super) ver: i64,
    /// The revision of the put that created the key.
    pub(super) created: Revision,
    pub(super) revs: Vec<Revision>,
}

impl Generation {
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// The revision of the put that created this generation.
    pub fn created(&self) -> Revision {
        self.created
    }

    /// The version of the last change in this generation.
    pub fn version(&self) -> i64 {
        self.ver
    }

    /// The revisions still held (compaction drops old ones), ascending.
    pub fn revisions(&self) -> &[Revision] {
        &self.revs
    }
}

/// The generations of one key. Always holds at least one generation; the last
/// one is the open generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIndex {
    /// The last change of this key.
    pub(super) modified: Revision,
    pub(super) generations: Vec<Generation>,
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex {
            modified: Revision::default(),
            generations: vec![Generation::default()],
        }
    }
}

impl KeyIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// The revision of the last change (put or tombstone) of this key.
    pub fn modified(&self) -> Revision {
        self.modified
    }

    pub fn generations(&self) -> &[Generation] {
        &self.generations
    }

    /// True when nothing but an empty open generation is left: the key can
    /// leave the index.
    pub fn is_empty(&self) -> bool {
        self.generations.len() == 1 && self.generations[0].is_empty()
    }

    /// Records a put at `rev`, creating the key if the open generation is empty.
    /// Revisions only grow; the store guarantees it (etcd panics otherwise).
    pub fn put(&mut self, rev: Revision) {
        debug_assert!(
            rev > self.modified,
            "put at {rev:?} after {:?}",
            self.modified
        );
        if self.generations.is_empty() {
            self.generations.push(Generation::default());
        }
        let last = self.generations.len() - 1;
        let g = &mut self.generations[last];
        if g.revs.is_empty() {
            g.created = rev;
        }
        g.revs.push(rev);
        g.ver += 1;
        self.modified = rev;
    }

    /// Records a delete at `rev`: it ends the open generation and opens a new
    /// empty one. Deleting a key that does not exist is an error.
    pub fn tombstone(&mut self, rev: Revision) -> Result<(), RevisionNotFound> {
        match self.generations.last() {
            Some(g) if !g.is_empty() => {}
            _ => return Err(RevisionNotFound),
        }
        self.put(rev);
        self.generations.push(Generation::default());
        Ok(())
    }

    /// The state of the key at `at_rev`: (modified revision, created revision,
    /// version), or `RevisionNotFound` when the key did not exist then (or its
    /// history at that revision was compacted away).
    pub fn get(&self, at_rev: i64) -> Result<(Revision, Revision, i64), RevisionNotFound> {
        let g = self.find_generation(at_rev).ok_or(RevisionNotFound)?;
        let n = g
            .revs
            .iter()
            .rposition(|r| r.main <= at_rev)
            .ok_or(RevisionNotFound)?;
        let newer = (g.revs.len() - n - 1) as i64;
        Ok((g.revs[n], g.created, g.ver - newer))
    }

    /// The revisions with `main >= rev`, ascending. Of several changes in one
    /// transaction only the last (largest `sub`) is returned: the others were
    /// never visible outside the transaction.
    pub fn since(&self, rev: i64) -> Vec<Revision> {
        let since = Revision::new(rev, 0);
        // Start at the newest generation created before `since` (or the first).
        let mut gi = self.generations.len().saturating_sub(1);
        while gi > 0 {
            let g = &self.generations[gi];
            if !g.is_empty() && since > g.created {
                break;
            }
            gi -= 1;
        }
        let mut revs: Vec<Revision> = Vec::new();
        for g in &self.generations[gi..] {
            for &r in &g.revs {
                if r < since {
                    continue;
                }
                match revs.last_mut() {
                    Some(last) if last.main == r.main => *last = r,
                    _ => revs.push(r),
                }
            }
        }
        revs
    }

    /// Compacts this key at `at_rev`: drops the revisions `<= at_rev` except
    /// the largest one of the generation alive at `at_rev`, which is added to
    /// `available` (the backend must keep it). Generations deleted at or before
    /// `at_rev` are dropped.
    pub fn compact(&mut self, at_rev: i64, available: &mut BTreeSet<Revision>) {
        let (mut gen_idx, rev_index) = self.do_compact(at_rev, available);
        let last = self.generations.len().saturating_sub(1);
        if let Some(g) = self.generations.get_mut(gen_idx) {
            if !g.is_empty() {
                if let Some(ri) = rev_index {
                    g.revs.drain(..ri);
                }
                // A generation reduced to its tombstone is gone.
                if g.revs.len() == 1 && gen_idx != last {
                    available.remove(&g.revs[0]);
                    gen_idx += 1;
                }
            }
        }
        self.generations.drain(..gen_idx);
    }

    /// Adds to `available` the revision a compaction at `at_rev` would keep,
    /// without changing anything (etcd `keep`, used for hashes).
    pub fn keep(&self, at_rev: i64, available: &mut BTreeSet<Revision>) {
        if self.is_empty() {
            return;
        }
        let (gen_idx, rev_index) = self.do_compact(at_rev, available);
        let last = self.generations.len().saturating_sub(1);
        if let Some(g) = self.generations.get(gen_idx) {
            if !g.is_empty() && rev_index == Some(g.revs.len() - 1) && gen_idx != last {
                available.remove(&g.revs[g.revs.len() - 1]);
            }
        }
    }

    /// Finds the first generation not deleted at or before `at_rev` and, in
    /// it, the index of the largest revision `<= at_rev` (recorded in
    /// `available`).
    fn do_compact(
        &self,
        at_rev: i64,
        available: &mut BTreeSet<Revision>,
    ) -> (usize, Option<usize>) {
        let mut gen_idx = 0;
        while gen_idx + 1 < self.generations.len() {
            match self.generations[gen_idx].revs.last() {
                Some(tomb) if tomb.main > at_rev => break,
                _ => gen_idx += 1,
            }
        }
        let rev_index = self.generations.get(gen_idx).and_then(|g| {
            let i = g.revs.iter().rposition(|r| r.main <= at_rev)?;
            available.insert(g.revs[i]);
            Some(i)
        });
        (gen_idx, rev_index)
    }

    /// The generation the key belongs to at `rev`, or `None` when the key did
    /// not exist at `rev` (between two generations, or before the first).
    fn find_generation(&self, rev: i64) -> Option<&Generation> {
        let last = self.generations.len().checked_sub(1)?;
        for (i, g) in self.generations.iter().enumerate().rev() {
            let (Some(first), Some(tomb)) = (g.revs.first(), g.revs.last()) else {
                continue;
            };
            if i != last && tomb.main <= rev {
                return None;
            }
            if first.main <= rev {
                return Some(g);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(main: i64, sub: i64) -> Revision {
        Revision::new(main, sub)
    }

    fn generation(created: Revision, ver: i64, revs: &[Revision]) -> Generation {
        Generation {
            ver,
            created,
            revs: revs.to_vec(),
        }
    }

    /// etcd's `newTestKeyIndex`:
    /// {2, 4, 6(t)} {8, 10, 12(t)} {14.0, 14.1, 16(t)} {}
    fn test_key_index() -> KeyIndex {
        let mut ki = KeyIndex::new();
        ki.put(rev(2, 0));
        ki.put(rev(4, 0));
        ki.tombstone(rev(6, 0)).unwrap();
        ki.put(rev(8, 0));
        ki.put(rev(10, 0));
        ki.tombstone(rev(12, 0)).unwrap();
        ki.put(rev(14, 0));
        ki.put(rev(14, 1));
        ki.tombstone(rev(16, 0)).unwrap();
        ki
    }

    #[test]
    fn get_finds_the_version_alive_at_each_revision() {
        let mut ki = test_key_index();
        ki.compact(4, &mut BTreeSet::new());
        let none = Err(RevisionNotFound);
        let cases = [
            (17, none),
            (16, none),
            (15, Ok((rev(14, 1), rev(14, 0), 2))),
            (14, Ok((rev(14, 1), rev(14, 0), 2))),
            (13, none),
            (12, none),
            (11, Ok((rev(10, 0), rev(8, 0), 2))),
            (10, Ok((rev(10, 0), rev(8, 0), 2))),
            (9, Ok((rev(8, 0), rev(8, 0), 1))),
            (8, Ok((rev(8, 0), rev(8, 0), 1))),
            (7, none),
            (6, none),
            (5, Ok((rev(4, 0), rev(2, 0), 2))),
            (4, Ok((rev(4, 0), rev(2, 0), 2))),
            // Compacted below 4: the key's earlier state is gone.
            (3, none),
            (2, none),
            (1, none),
            (0, none),
        ];
        for (at, want) in cases {
            assert_eq!(ki.get(at), want, "get({at})");
        }
    }

    #[test]
    fn since_returns_one_revision_per_transaction() {
        let mut ki = test_key_index();
        ki.compact(4, &mut BTreeSet::new());
        let all = [
            rev(4, 0),
            rev(6, 0),
            rev(8, 0),
            rev(10, 0),
            rev(12, 0),
            rev(14, 1),
            rev(16, 0),
        ];
        let cases: [(i64, &[Revision]); 18] = [
            (17, &[]),
            (16, &all[6..]),
            (15, &all[6..]),
            (14, &all[5..]),
            (13, &all[5..]),
            (12, &all[4..]),
            (11, &all[4..]),
            (10, &all[3..]),
            (9, &all[3..]),
            (8, &all[2..]),
            (7, &all[2..]),
            (6, &all[1..]),
            (5, &all[1..]),
            (4, &all),
            (3, &all),
            (2, &all),
            (1, &all),
            (0, &all),
        ];
        for (at, want) in cases {
            assert_eq!(ki.since(at), want, "since({at})");
        }
    }

    #[test]
    fn put_creates_then_appends_to_the_open_generation() {
        let mut ki = KeyIndex::new();
        ki.put(rev(5, 0));
        assert_eq!(ki.modified(), rev(5, 0));
        assert_eq!(ki.generations(), &[generation(rev(5, 0), 1, &[rev(5, 0)])]);
        ki.put(rev(7, 0));
        assert_eq!(ki.modified(), rev(7, 0));
        assert_eq!(
            ki.generations(),
            &[generation(rev(5, 0), 2, &[rev(5, 0), rev(7, 0)])]
        );
    }

    #[test]
    fn tombstone_closes_the_generation_and_fails_on_a_missing_key() {
        let mut ki = KeyIndex::new();
        ki.put(rev(5, 0));
        ki.tombstone(rev(7, 0)).unwrap();
        assert_eq!(ki.modified(), rev(7, 0));
        assert_eq!(
            ki.generations(),
            &[
                generation(rev(5, 0), 2, &[rev(5, 0), rev(7, 0)]),
                Generation::default()
            ]
        );
        ki.put(rev(8, 0));
        ki.put(rev(9, 0));
        ki.tombstone(rev(15, 0)).unwrap();
        assert_eq!(
            ki.generations(),
            &[
                generation(rev(5, 0), 2, &[rev(5, 0), rev(7, 0)]),
                generation(rev(8, 0), 3, &[rev(8, 0), rev(9, 0), rev(15, 0)]),
                Generation::default(),
            ]
        );
        assert_eq!(ki.tombstone(rev(16, 0)), Err(RevisionNotFound));
        assert_eq!(KeyIndex::new().tombstone(rev(1, 0)), Err(RevisionNotFound));
    }

    /// etcd `TestKeyIndexCompactAndKeep`: for each compaction revision, the
    /// generations left and the revision the backend must keep. Compacting
    /// step by step and compacting once give the same result, and `keep`
    /// predicts it without changing anything.
    #[test]
    fn compaction_keeps_the_latest_revision_of_the_live_generation() {
        let g1 = |revs: &[Revision]| generation(rev(2, 0), 3, revs);
        let g2 = |revs: &[Revision]| generation(rev(8, 0), 3, revs);
        let g3 = |revs: &[Revision]| generation(rev(14, 0), 3, revs);
        let g1_all = g1(&[rev(2, 0), rev(4, 0), rev(6, 0)]);
        let g2_all = g2(&[rev(8, 0), rev(10, 0), rev(12, 0)]);
        let g3_all = g3(&[rev(14, 0), rev(14, 1), rev(16, 0)]);
        let open = Generation::default();
        let cases: Vec<(i64, Vec<Generation>, Vec<Revision>)> = vec![
            (
                1,
                vec![g1_all.clone(), g2_all.clone(), g3_all.clone(), open.clone()],
                vec![],
            ),
            (
                2,
                vec![g1_all.clone(), g2_all.clone(), g3_all.clone(), open.clone()],
                vec![rev(2, 0)],
            ),
            (
                3,
                vec![g1_all.clone(), g2_all.clone(), g3_all.clone(), open.clone()],
                vec![rev(2, 0)],
            ),
            (
                4,
                vec![
                    g1(&[rev(4, 0), rev(6, 0)]),
                    g2_all.clone(),
                    g3_all.clone(),
                    open.clone(),
                ],
                vec![rev(4, 0)],
            ),
            (
                5,
                vec![
                    g1(&[rev(4, 0), rev(6, 0)]),
                    g2_all.clone(),
                    g3_all.clone(),
                    open.clone(),
                ],
                vec![rev(4, 0)],
            ),
            (
                6,
                vec![g2_all.clone(), g3_all.clone(), open.clone()],
                vec![],
            ),
            (
                7,
                vec![g2_all.clone(), g3_all.clone(), open.clone()],
                vec![],
            ),
            (
                8,
                vec![g2_all.clone(), g3_all.clone(), open.clone()],
                vec![rev(8, 0)],
            ),
            (
                9,
                vec![g2_all.clone(), g3_all.clone(), open.clone()],
                vec![rev(8, 0)],
            ),
            (
                10,
                vec![g2(&[rev(10, 0), rev(12, 0)]), g3_all.clone(), open.clone()],
                vec![rev(10, 0)],
            ),
            (
                11,
                vec![g2(&[rev(10, 0), rev(12, 0)]), g3_all.clone(), open.clone()],
                vec![rev(10, 0)],
            ),
            (12, vec![g3_all.clone(), open.clone()], vec![]),
            (13, vec![g3_all.clone(), open.clone()], vec![]),
            (
                14,
                vec![g3(&[rev(14, 1), rev(16, 0)]), open.clone()],
                vec![rev(14, 1)],
            ),
            (
                15,
                vec![g3(&[rev(14, 1), rev(16, 0)]), open.clone()],
                vec![rev(14, 1)],
            ),
            (16, vec![open.clone()], vec![]),
            (17, vec![open.clone()], vec![]),
        ];
        // Compacting step by step.
        let mut stepwise = test_key_index();
        for (at, want_gens, want_kept) in &cases {
            let mut kept = BTreeSet::new();
            stepwise.compact(*at, &mut kept);
            assert_eq!(
                stepwise.generations(),
                want_gens.as_slice(),
                "stepwise compact({at})"
            );
            assert_eq!(
                kept.into_iter().collect::<Vec<_>>(),
                *want_kept,
                "stepwise kept({at})"
            );
        }
        // Compacting once, after asking what would be kept.
        for (at, want_gens, want_kept) in &cases {
            let mut ki = test_key_index();
            let mut kept = BTreeSet::new();
            ki.keep(*at, &mut kept);
            assert_eq!(ki, test_key_index(), "keep({at}) must not change the index");
            assert_eq!(
                kept.iter().copied().collect::<Vec<_>>(),
                *want_kept,
                "keep({at})"
            );
            let mut kept = BTreeSet::new();
            ki.compact(*at, &mut kept);
            assert_eq!(ki.generations(), want_gens.as_slice(), "compact({at})");
            assert_eq!(
                kept.into_iter().collect::<Vec<_>>(),
                *want_kept,
                "kept({at})"
            );
            assert_eq!(ki.modified(), rev(16, 0));
        }
    }

    #[test]
    fn compaction_beyond_the_last_change_keeps_the_live_value() {
        let mut ki = KeyIndex::new();
        ki.put(rev(1, 0));
        ki.put(rev(2, 0));
        let mut kept = BTreeSet::new();
        ki.compact(3, &mut kept);
        assert_eq!(ki.generations(), &[generation(rev(1, 0), 2, &[rev(2, 0)])]);
        assert_eq!(kept.into_iter().collect::<Vec<_>>(), vec![rev(2, 0)]);
        assert_eq!(ki.get(3), Ok((rev(2, 0), rev(1, 0), 2)));
    }

    #[test]
    fn compaction_at_or_after_a_tombstone_empties_the_key() {
        let mut ki = KeyIndex::new();
        assert!(ki.is_empty());
        ki.put(rev(1, 0));
        ki.tombstone(rev(2, 0)).unwrap();
        assert!(!ki.is_empty());
        ki.compact(2, &mut BTreeSet::new());
        assert!(ki.is_empty());
    }

    #[test]
    fn find_generation_is_none_between_generations() {
        let ki = test_key_index();
        let g = ki.generations();
        let cases = [
            (0, None),
            (1, None),
            (2, Some(&g[0])),
            (3, Some(&g[0])),
            (4, Some(&g[0])),
            (5, Some(&g[0])),
            (6, None),
            (7, None),
            (8, Some(&g[1])),
            (9, Some(&g[1])),
            (10, Some(&g[1])),
            (11, Some(&g[1])),
            (12, None),
            (13, None),
        ];
        for (at, want) in cases {
            assert_eq!(ki.find_generation(at), want, "find_generation({at})");
        }
    }
}
