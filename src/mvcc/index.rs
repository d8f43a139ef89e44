//! The in-memory index: key -> [`KeyIndex`] (etcd `index.go`, a B-tree
//! there, an ordered map here).
//!
//! Ranges follow etcd's conventions (`RangeRequest.range_end`):
//! an empty `end` means the single key `key`; `end == [0]` means every key
//! `>= key`; otherwise the half-open range `[key, end)`, empty when
//! `end <= key`.

use crate::boxed_map::BoxedMap;
use std::collections::BTreeSet;
use std::ops::Bound;

use super::key_index::{KeyIndex, RevisionNotFound};
use super::Revision;

/// The bounds of a `[key, end)` request in etcd's conventions.
fn bounds<'a>(key: &'a [u8], end: &'a [u8]) -> (Bound<&'a [u8]>, Bound<&'a [u8]>) {
    use Bound::{Excluded, Included, Unbounded};
    if end.is_empty() {
        (Included(key), Included(key))
    } else if end == [0] {
        (Included(key), Unbounded)
    } else if end <= key {
        // An empty range that the ordered map accepts.
        (Included(key), Excluded(key))
    } else {
        (Included(key), Excluded(end))
    }
}

/// Whether `k` lies in the range `[key, end)` taken in etcd's conventions;
/// the watch layer matches live events to watchers with it.
pub fn in_range(k: &[u8], key: &[u8], end: &[u8]) -> bool {
    if end.is_empty() {
        k == key
    } else if end == [0] {
        k >= key
    } else {
        k >= key && k < end
    }
}

/// Every key ever written and not yet compacted away, with its generations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeIndex {
    pub(super) tree: BoxedMap<Vec<u8>, KeyIndex>,
}

impl TreeIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys held (live or with history not yet compacted).
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The generations of one key, for inspection.
    pub fn key_index(&self, key: &[u8]) -> Option<&KeyIndex> {
        self.tree.get(key).map(|ki| &**ki)
    }

    /// All keys with their generations, in key order, for inspection.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &KeyIndex)> {
        self.tree.iter().map(|(k, ki)| (k.as_slice(), &**ki))
    }

    /// The keys starting with `prefix` with their generations, in key order,
    /// for inspection.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a KeyIndex)> {
        self.visit(prefix, &[0])
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    fn visit<'a>(
        &'a self,
        key: &'a [u8],
        end: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a KeyIndex)> {
        self.tree
            .range::<[u8], _>(bounds(key, end))
            .map(|(k, ki)| (k.as_slice(), &**ki))
    }

    /// Records a put of `key` at `rev`.
    pub fn put(&mut self, key: &[u8], rev: Revision) {
        match self.tree.get_mut(key) {
            Some(ki) => ki.put(rev),
            None => {
                let mut ki = KeyIndex::new();
                ki.put(rev);
                self.tree.insert(key.to_vec(), Box::new(ki));
            }
        }
    }

    /// Records a delete of `key` at `rev`; the key must exist.
    pub fn tombstone(&mut self, key: &[u8], rev: Revision) -> Result<(), RevisionNotFound> {
        self.tree
            .get_mut(key)
            .ok_or(RevisionNotFound)?
            .tombstone(rev)
    }

    /// (modified, created, version) of `key` at `at_rev`.
    pub fn get(
        &self,
        key: &[u8],
        at_rev: i64,
    ) -> Result<(Revision, Revision, i64), RevisionNotFound> {
        self.tree.get(key).ok_or(RevisionNotFound)?.get(at_rev)
    }

    /// The keys alive at `at_rev` in the range, with the revision of their
    /// value then.
    pub fn range(&self, key: &[u8], end: &[u8], at_rev: i64) -> Vec<(Vec<u8>, Revision)> {
        self.visit(key, end)
            .filter_map(|(k, ki)| ki.get(at_rev).ok().map(|(m, _, _)| (k.to_vec(), m)))
            .collect()
    }

    /// The revisions of the values alive at `at_rev` in the range, in key
    /// order, at most `limit` of them when `limit > 0`; and the total number
    /// of keys alive in the range (counted past the limit, as etcd's `count`).
    pub fn revisions(
        &self,
        key: &[u8],
        end: &[u8],
        at_rev: i64,
        limit: i64,
    ) -> (Vec<Revision>, i64) {
        let limit = usize::try_from(limit).ok().filter(|&l| l > 0);
        let mut revs = Vec::new();
        let mut total = 0;
        for (_, ki) in self.visit(key, end) {
            if let Ok((m, _, _)) = ki.get(at_rev) {
                if limit.is_none_or(|l| revs.len() < l) {
                    revs.push(m);
                }
                total += 1;
            }
        }
        (revs, total)
    }

    /// The number of keys alive at `at_rev` in the range.
    pub fn count_revisions(&self, key: &[u8], end: &[u8], at_rev: i64) -> i64 {
        self.visit(key, end)
            .filter(|(_, ki)| ki.get(at_rev).is_ok())
            .count() as i64
    }

    /// The revisions `>= rev` of every key in the range, in revision order
    /// (one per key and transaction, see [`KeyIndex::since`]).
    pub fn range_since(&self, key: &[u8], end: &[u8], rev: i64) -> Vec<Revision> {
        let mut revs: Vec<Revision> = self
            .visit(key, end)
            .flat_map(|(_, ki)| ki.since(rev))
            .collect();
        crate::sort::sort(&mut revs);
        revs
    }

    /// Compacts every key at `rev` and drops keys left empty. Returns the
    /// revisions `<= rev` the backend must keep.
    pub fn compact(&mut self, rev: i64) -> BTreeSet<Revision> {
        let mut available = BTreeSet::new();
        self.tree.retain(|_, ki| {
            ki.compact(rev, &mut available);
            !ki.is_empty()
        });
        available
    }

    /// The revisions a compaction at `rev` would keep, without compacting.
    pub fn keep(&self, rev: i64) -> BTreeSet<Revision> {
        let mut available = BTreeSet::new();
        for ki in self.tree.values() {
            ki.keep(rev, &mut available);
        }
        available
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(main: i64) -> Revision {
        Revision::new(main, 0)
    }

    /// foo@1, foo1@2, foo2@3 (etcd `TestIndexRange`'s keys).
    fn index() -> TreeIndex {
        let mut ti = TreeIndex::new();
        ti.put(b"foo", rev(1));
        ti.put(b"foo1", rev(2));
        ti.put(b"foo2", rev(3));
        ti
    }

    fn keys(ti: &TreeIndex, key: &[u8], end: &[u8], at: i64) -> Vec<Vec<u8>> {
        ti.range(key, end, at).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn empty_range_end_means_the_single_key() {
        assert_eq!(keys(&index(), b"foo", b"", 3), vec![b"foo".to_vec()]);
        assert!(keys(&index(), b"fo", b"", 3).is_empty());
    }

    #[test]
    fn range_end_zero_byte_means_all_keys_from_key() {
        assert_eq!(
            keys(&index(), b"foo1", &[0], 3),
            vec![b"foo1".to_vec(), b"foo2".to_vec()]
        );
        assert_eq!(keys(&index(), &[0], &[0], 3).len(), 3);
    }

    #[test]
    fn range_is_half_open_and_empty_when_end_is_not_after_key() {
        assert_eq!(
            keys(&index(), b"foo", b"foo2", 3),
            vec![b"foo".to_vec(), b"foo1".to_vec()]
        );
        assert!(keys(&index(), b"foo2", b"foo", 3).is_empty());
        assert!(keys(&index(), b"foo", b"foo", 3).is_empty());
    }

    #[test]
    fn range_sees_only_keys_alive_at_the_revision() {
        let ti = index();
        assert_eq!(
            keys(&ti, b"foo", &[0], 2),
            vec![b"foo".to_vec(), b"foo1".to_vec()]
        );
        assert!(keys(&ti, b"foo", &[0], 0).is_empty());
    }

    #[test]
    fn revisions_count_is_total_before_limit() {
        let ti = index();
        assert_eq!(ti.revisions(b"foo", &[0], 3, 1), (vec![rev(1)], 3));
        assert_eq!(
            ti.revisions(b"foo", &[0], 3, 0),
            (vec![rev(1), rev(2), rev(3)], 3)
        );
        assert_eq!(ti.revisions(b"foo", &[0], 3, -1).1, 3);
        assert_eq!(ti.count_revisions(b"foo", b"foo2", 3), 2);
    }

    #[test]
    fn range_since_merges_keys_in_revision_order() {
        let mut ti = index();
        ti.put(b"foo", rev(4));
        ti.tombstone(b"foo1", rev(5)).unwrap();
        assert_eq!(
            ti.range_since(b"foo", &[0], 2),
            vec![rev(2), rev(3), rev(4), rev(5)]
        );
        assert_eq!(ti.range_since(b"foo", b"", 1), vec![rev(1), rev(4)]);
    }

    #[test]
    fn compaction_drops_keys_deleted_at_or_before_it() {
        let mut ti = index();
        ti.tombstone(b"foo1", rev(4)).unwrap();
        let kept = ti.compact(4);
        assert_eq!(kept.into_iter().collect::<Vec<_>>(), vec![rev(1), rev(3)]);
        assert!(ti.key_index(b"foo1").is_none());
        assert_eq!(ti.len(), 2);
    }

    #[test]
    fn with_prefix_lists_the_keys_starting_with_it() {
        let mut ti = index();
        ti.put(b"fo", rev(4));
        ti.put(b"fop", rev(5));
        let keys =
            |p: &[u8]| -> Vec<Vec<u8>> { ti.with_prefix(p).map(|(k, _)| k.to_vec()).collect() };
        assert_eq!(
            keys(b"foo"),
            vec![b"foo".to_vec(), b"foo1".to_vec(), b"foo2".to_vec()]
        );
        assert_eq!(keys(b"foo1"), vec![b"foo1".to_vec()]);
        assert_eq!(keys(b"").len(), 5);
        assert!(keys(b"g").is_empty());
    }

    #[test]
    fn in_range_follows_the_same_conventions() {
        assert!(in_range(b"a", b"a", b""));
        assert!(!in_range(b"ab", b"a", b""));
        assert!(in_range(b"zzz", b"a", &[0]));
        assert!(in_range(b"a", b"a", b"b"));
        assert!(!in_range(b"b", b"a", b"b"));
        assert!(!in_range(b"c", b"c", b"b"));
    }
}
