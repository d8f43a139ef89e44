//! Compaction (etcd `store.Compact` in `kvstore.go` and
//! `kvstore_compaction.go`). etcd compacts the index at once and the backend
//! in the background; here both happen immediately.

use super::kvstore::{entry_size, KvStore};
use super::Revision;
use crate::errors::EtcdError;

impl KvStore {
    /// Drops the history below `rev`: afterwards reads below `rev` fail with
    /// `Compacted`, while every key alive at `rev` keeps its value at `rev`
    /// (the compaction revision stays readable, docs/etcd-behaviour.md #32).
    ///
    /// `rev` at or below the previous compaction fails with `Compacted`
    /// (checked first, as etcd's `updateCompactRev`), `rev` above the current
    /// revision with `FutureRev`.
    pub fn compact(&mut self, rev: i64) -> Result<(), EtcdError> {
        if rev <= self.compact_main_rev {
            return Err(EtcdError::Compacted);
        }
        if rev > self.current_rev {
            return Err(EtcdError::FutureRev);
        }
        self.compact_main_rev = rev;
        let keep = self.index.compact(rev);
        // Backend: every revision <= rev goes, except those the index keeps.
        let newer = self
            .backend
            .split_off(&Revision::new(rev.saturating_add(1), 0));
        let older = std::mem::replace(&mut self.backend, newer);
        for (r, record) in older {
            if keep.contains(&r) {
                self.backend.insert(r, record);
            } else {
                self.backend_bytes -= entry_size(&record);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::kvstore::tests::{delete, get, put};

    #[test]
    fn compaction_keeps_value_at_compaction_revision() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a"); // 2
        put(&mut store, "bar", "a"); // 3
        put(&mut store, "foo", "b"); // 4
        store.compact(4).unwrap();
        assert_eq!(get(&store, "foo", 4).unwrap().value, b"b");
        // bar's last change is below the compaction revision but it is alive.
        let bar = get(&store, "bar", 4).unwrap();
        assert_eq!((bar.mod_revision, bar.version), (3, 1));
        assert_eq!(store.backend.len(), 2);
    }

    #[test]
    fn compaction_keeps_versions_counting() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a"); // 2
        put(&mut store, "foo", "b"); // 3
        store.compact(3).unwrap();
        let kv = put(&mut store, "foo", "c");
        assert_eq!((kv.create_revision, kv.version), (2, 3));
    }

    #[test]
    fn compaction_after_a_delete_forgets_the_key() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a"); // 2
        delete(&mut store, "foo", ""); // 3
        store.compact(3).unwrap();
        assert!(store.index().key_index(b"foo").is_none());
        assert!(store.backend.is_empty());
        assert_eq!(get(&store, "foo", 3), None);
    }

    #[test]
    fn compaction_at_or_below_previous_compaction_fails() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a");
        put(&mut store, "foo", "b");
        store.compact(2).unwrap();
        assert_eq!(store.compact(2), Err(EtcdError::Compacted));
        assert_eq!(store.compact(1), Err(EtcdError::Compacted));
        assert_eq!(store.compact_revision(), 2);
        store.compact(3).unwrap();
        assert_eq!(store.compact_revision(), 3);
    }

    #[test]
    fn compaction_beyond_current_revision_fails() {
        let mut store = KvStore::new();
        assert_eq!(store.compact(2), Err(EtcdError::FutureRev));
        assert_eq!(store.compact(1), Ok(()));
        assert_eq!(store.compact_revision(), 1);
    }

    #[test]
    fn compaction_at_zero_succeeds_once_on_a_fresh_store() {
        // etcd's compactMainRev starts at -1.
        let mut store = KvStore::new();
        assert_eq!(store.compact(0), Ok(()));
        assert_eq!(store.compact(0), Err(EtcdError::Compacted));
        assert_eq!(store.compact_revision(), 0);
    }
}
